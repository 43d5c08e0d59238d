# Plan-level tests of modules/msk: encryption in transit and at rest, IAM-only auth, and a
# security group that admits named networks only. override_during = plan gives computed
# attributes (the KMS key's ARN) mocked values at plan time, so they can be compared.

mock_provider "aws" {
  override_during = plan

  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
      key_id = "11111111-2222-3333-4444-555555555555"
    }
  }

  mock_resource "aws_security_group" {
    defaults = {
      id = "sg-0brokers"
    }
  }
}

variables {
  name                      = "meshfed-hub"
  vpc_id                    = "vpc-0abc"
  subnet_ids                = ["subnet-a", "subnet-b", "subnet-c"]
  client_cidr_blocks        = ["10.20.0.0/16", "fd00:20::/56"]
  client_security_group_ids = { topology = "sg-0topology" }
}

run "encrypted_in_transit_and_at_rest_iam_only" {
  command = plan

  module {
    source = "./modules/msk"
  }

  assert {
    condition     = aws_msk_cluster.this.encryption_info[0].encryption_in_transit[0].client_broker == "TLS"
    error_message = "Client-broker traffic must be TLS only."
  }

  assert {
    condition     = aws_msk_cluster.this.encryption_info[0].encryption_in_transit[0].in_cluster == true
    error_message = "Broker-broker traffic must be encrypted."
  }

  assert {
    condition     = aws_msk_cluster.this.encryption_info[0].encryption_at_rest_kms_key_arn == aws_kms_key.this[0].arn && aws_kms_key.this[0].enable_key_rotation
    error_message = "Storage must be encrypted with the module's customer-managed, rotated KMS key."
  }

  assert {
    condition     = aws_msk_cluster.this.client_authentication[0].sasl[0].iam == true && aws_msk_cluster.this.client_authentication[0].unauthenticated == false && aws_msk_cluster.this.client_authentication[0].sasl[0].scram == false
    error_message = "IAM must be the only way in: no unauthenticated access, no SCRAM."
  }

  assert {
    condition     = endswith(aws_msk_cluster.this.kafka_version, ".kraft")
    error_message = "The cluster must run in KRaft mode."
  }

  assert {
    condition     = strcontains(aws_msk_configuration.this.server_properties, "auto.create.topics.enable=false") && strcontains(aws_msk_configuration.this.server_properties, "min.insync.replicas=2")
    error_message = "Topics are created by meshfed only, and acks=all means two in-sync replicas."
  }

  assert {
    condition     = length(aws_msk_cluster.this.broker_node_group_info[0].security_groups) == 1 && contains(aws_msk_cluster.this.broker_node_group_info[0].security_groups, aws_security_group.brokers.id)
    error_message = "The brokers sit behind the module's security group only."
  }
}

run "no_open_ingress" {
  command = plan

  module {
    source = "./modules/msk"
  }

  assert {
    condition = alltrue([
      for r in aws_vpc_security_group_ingress_rule.cidr : !contains(["0.0.0.0/0", "::/0"], coalesce(r.cidr_ipv4, r.cidr_ipv6))
    ])
    error_message = "No ingress rule may admit 0.0.0.0/0 or ::/0."
  }

  assert {
    condition     = toset([for r in aws_vpc_security_group_ingress_rule.cidr : coalesce(r.cidr_ipv4, r.cidr_ipv6)]) == toset(["10.20.0.0/16", "fd00:20::/56"])
    error_message = "CIDR rules are exactly the given client networks (IPv6 as cidr_ipv6)."
  }

  assert {
    condition = alltrue([
      for r in concat(values(aws_vpc_security_group_ingress_rule.cidr), values(aws_vpc_security_group_ingress_rule.security_group)) :
      r.from_port == 9098 && r.to_port == 9098 && r.ip_protocol == "tcp"
    ])
    error_message = "Every ingress rule opens the IAM listener (TCP 9098) only."
  }

  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.security_group : r.referenced_security_group_id] == ["sg-0topology"]
    error_message = "Security-group rules are exactly the given client groups."
  }
}

run "rejects_0_0_0_0" {
  command = plan

  module {
    source = "./modules/msk"
  }

  variables {
    client_cidr_blocks = ["10.20.0.0/16", "0.0.0.0/0"]
  }

  expect_failures = [var.client_cidr_blocks]
}

run "rejects_ipv6_any" {
  command = plan

  module {
    source = "./modules/msk"
  }

  variables {
    client_cidr_blocks = ["::/0"]
  }

  expect_failures = [var.client_cidr_blocks]
}

run "rejects_no_clients_at_all" {
  command = plan

  module {
    source = "./modules/msk"
  }

  variables {
    client_cidr_blocks        = []
    client_security_group_ids = {}
  }

  expect_failures = [aws_security_group.brokers]
}

run "rejects_zookeeper_and_old_versions" {
  command = plan

  module {
    source = "./modules/msk"
  }

  variables {
    kafka_version = "3.7.x"
  }

  expect_failures = [var.kafka_version]
}

run "rejects_brokers_not_spread_over_the_zones" {
  command = plan

  module {
    source = "./modules/msk"
  }

  variables {
    broker_count = 4
  }

  expect_failures = [var.broker_count]
}

run "given_kms_key_is_used_and_none_created" {
  command = plan

  module {
    source = "./modules/msk"
  }

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/99999999-8888-7777-6666-555555555555"
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && aws_msk_cluster.this.encryption_info[0].encryption_at_rest_kms_key_arn == "arn:aws:kms:eu-west-1:123456789012:key/99999999-8888-7777-6666-555555555555"
    error_message = "A given KMS key is used, and no other is created."
  }
}
