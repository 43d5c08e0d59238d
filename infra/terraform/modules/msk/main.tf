# One MSK cluster for meshfed: KRaft, IAM authentication only, TLS between clients and brokers
# and between brokers, encryption at rest with a customer-managed KMS key, brokers in private
# subnets behind a security group that admits the IAM listener (9098) from named networks only.

locals {
  # IAM over TLS, inside the VPC.
  iam_port = 9098

  replication_factor = min(3, var.broker_count)

  # Topics are created by meshfed (`meshfed admin add-cluster`, the topology's shared and
  # internal topics), never by a typo in a client.
  server_properties = <<-PROPERTIES
    auto.create.topics.enable=false
    default.replication.factor=${local.replication_factor}
    min.insync.replicas=${max(1, local.replication_factor - 1)}
    unclean.leader.election.enable=false
    offsets.topic.replication.factor=${local.replication_factor}
    transaction.state.log.replication.factor=${local.replication_factor}
    transaction.state.log.min.isr=${max(1, local.replication_factor - 1)}
  PROPERTIES

  kms_key_arn = var.kms_key_arn != null ? var.kms_key_arn : aws_kms_key.this[0].arn
}

resource "aws_kms_key" "this" {
  count = var.kms_key_arn == null ? 1 : 0

  description             = "meshfed MSK ${var.name}: encryption at rest"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  count = var.kms_key_arn == null ? 1 : 0

  name          = "alias/${var.name}-msk"
  target_key_id = aws_kms_key.this[0].key_id
}

resource "aws_security_group" "brokers" {
  name_prefix = "${var.name}-msk-"
  description = "meshfed MSK ${var.name} brokers: IAM listener from named clients only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-msk" })

  # No inline rules: every rule is a separate resource below, so nothing here can open the
  # brokers wider than the inputs say.

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = length(var.client_cidr_blocks) + length(var.client_security_group_ids) > 0
      error_message = "Name at least one client network (client_cidr_blocks) or security group (client_security_group_ids): with neither, nothing can reach the brokers."
    }
  }
}

resource "aws_vpc_security_group_ingress_rule" "cidr" {
  for_each = toset(var.client_cidr_blocks)

  security_group_id = aws_security_group.brokers.id
  description       = "Kafka IAM/TLS from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = local.iam_port
  to_port           = local.iam_port
  cidr_ipv4         = strcontains(each.value, ":") ? null : each.value
  cidr_ipv6         = strcontains(each.value, ":") ? each.value : null
  tags              = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "security_group" {
  for_each = var.client_security_group_ids

  security_group_id            = aws_security_group.brokers.id
  description                  = "Kafka IAM/TLS from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = local.iam_port
  to_port                      = local.iam_port
  referenced_security_group_id = each.value
  tags                         = var.tags
}

resource "aws_cloudwatch_log_group" "brokers" {
  name              = "/meshfed/msk/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_msk_configuration" "this" {
  name              = "${var.name}-meshfed"
  description       = "meshfed: no topic auto-creation, replicated internal topics, no unclean election"
  kafka_versions    = [var.kafka_version]
  server_properties = local.server_properties
}

resource "aws_msk_cluster" "this" {
  cluster_name           = var.name
  kafka_version          = var.kafka_version
  number_of_broker_nodes = var.broker_count
  enhanced_monitoring    = "PER_TOPIC_PER_PARTITION"
  tags                   = var.tags

  broker_node_group_info {
    instance_type   = var.instance_type
    client_subnets  = var.subnet_ids
    security_groups = [aws_security_group.brokers.id]

    storage_info {
      ebs_storage_info {
        volume_size = var.ebs_volume_size
      }
    }
  }

  client_authentication {
    unauthenticated = false

    sasl {
      iam   = true
      scram = false
    }
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = local.kms_key_arn

    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this.arn
    revision = aws_msk_configuration.this.latest_revision
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.brokers.name
      }
    }
  }

  open_monitoring {
    prometheus {
      jmx_exporter {
        enabled_in_broker = true
      }
      node_exporter {
        enabled_in_broker = true
      }
    }
  }
}
