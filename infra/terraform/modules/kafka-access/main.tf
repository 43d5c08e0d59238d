# IAM policies (and optionally roles) for meshfed's principals on one MSK cluster, with
# MSK's IAM access control (`kafka-cluster:*` actions on cluster, topic, group and
# transactional-id ARNs). Every grant below is traced to the code that needs it in DESIGN.md.
# Policies are built with jsonencode: no data sources, so plans (and the tests' mock provider)
# see the documents.

locals {
  # arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid> → .../<type>/<name>/<uuid>/<resource>
  topic_arn = replace(var.cluster_arn, ":cluster/", ":topic/")
  group_arn = replace(var.cluster_arn, ":cluster/", ":group/")
  txn_arn   = replace(var.cluster_arn, ":cluster/", ":transactional-id/")

  # meshfed's topic names (schemas/avro: io.meshfed.topics.MeshfedTopics).
  events_topic    = { for name in keys(var.agents) : name => "meshfed.cluster.${name}.events" }
  config_topic    = { for name in keys(var.agents) : name => "meshfed.cluster.${name}.config" }
  failover_events = "meshfed.failover-events"
  dead_letter     = "meshfed.dead-letter"

  # The agent (cluster-agent ClusterAgent): an idempotent producer (enable.idempotence=true,
  # acks=all, no transactional.id) writing its events topic, acks included; a consumer that
  # assign()s its config topic's partitions and seeks to the beginning, with no group.id and
  # no commits — so no group and no transactional id is granted.
  agent_documents = {
    for name in keys(var.agents) : name => jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Sid      = "ConnectAndIdempotentWrite"
          Effect   = "Allow"
          Action   = ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"]
          Resource = [var.cluster_arn]
        },
        {
          Sid      = "WriteOwnEventsTopic"
          Effect   = "Allow"
          Action   = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]
          Resource = ["${local.topic_arn}/${local.events_topic[name]}"]
        },
        {
          Sid      = "ReadOwnConfigTopic"
          Effect   = "Allow"
          Action   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
          Resource = ["${local.topic_arn}/${local.config_topic[name]}"]
        },
      ]
    })
  }

  app_id = var.topology == null ? null : var.topology.application_id

  # The topology (TopologyMain + StreamsSettings + EventsLagMonitor, and the Destination API
  # when `meshfed topology --grpc-port` serves it from the same process).
  topology_document = var.topology == null ? null : jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Streams' admin client describes the cluster; exactly_once_v2 producers are idempotent.
        Sid      = "ConnectDescribeIdempotentWrite"
        Effect   = "Allow"
        Action   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:WriteDataIdempotently"]
        Resource = [var.cluster_arn]
      },
      {
        # Pattern subscription to meshfed.cluster.<name>.events; EventsLagMonitor lists,
        # describes and reads end offsets of the same topics. A wildcard, so that a member
        # added later is read without a policy change.
        Sid      = "ReadEveryEventsTopic"
        Effect   = "Allow"
        Action   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
        Resource = ["${local.topic_arn}/meshfed.cluster.*.events"]
      },
      {
        # FederatedDestination and PolicyStatus to every client's config topic; ReadData for
        # the Destination API's reader of every config topic.
        Sid      = "WriteEveryConfigTopic"
        Effect   = "Allow"
        Action   = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData", "kafka-cluster:ReadData"]
        Resource = ["${local.topic_arn}/meshfed.cluster.*.config"]
      },
      {
        # The decision log and the dead-letter topic; TopologyMain creates them if absent
        # (TopicProvisioner.ensureSharedTopics), so it needs CreateTopic on exactly these two.
        Sid    = "SharedTopics"
        Effect = "Allow"
        Action = ["kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]
        Resource = [
          "${local.topic_arn}/${local.failover_events}",
          "${local.topic_arn}/${local.dead_letter}",
        ]
      },
      {
        # Streams' internal topics (<application.id>-<name>-repartition / -changelog): created
        # and validated (describe configs) by Streams, read and written by it, and purged with
        # DeleteRecords after commits (Kafka's DELETE on the topic, MSK's DeleteTopic).
        Sid    = "StreamsInternalTopics"
        Effect = "Allow"
        Action = [
          "kafka-cluster:CreateTopic",
          "kafka-cluster:DescribeTopic",
          "kafka-cluster:DescribeTopicDynamicConfiguration",
          "kafka-cluster:ReadData",
          "kafka-cluster:WriteData",
          "kafka-cluster:DeleteTopic",
        ]
        Resource = ["${local.topic_arn}/${local.app_id}-*"]
      },
      {
        # The Streams consumer group is the application id, exactly.
        Sid      = "StreamsGroup"
        Effect   = "Allow"
        Action   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
        Resource = ["${local.group_arn}/${local.app_id}"]
      },
      {
        # exactly_once_v2: one transactional producer per stream thread, transactional.id
        # <application.id>-<process id>-<thread index>.
        Sid      = "StreamsTransactions"
        Effect   = "Allow"
        Action   = ["kafka-cluster:DescribeTransactionalState", "kafka-cluster:AlterTransactionalState"]
        Resource = ["${local.txn_arn}/${local.app_id}-*"]
      },
    ]
  })

  provisioned = var.provisioned_clusters != null ? var.provisioned_clusters : keys(var.agents)

  # `meshfed admin add-cluster NAME`: creates the cluster's two topics and the shared ones
  # (TopicProvisioner.addCluster); TopicExistsException is tolerated, so re-running is safe.
  provisioner_document = var.provisioner == null ? null : jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Connect"
        Effect   = "Allow"
        Action   = ["kafka-cluster:Connect"]
        Resource = [var.cluster_arn]
      },
      {
        Sid    = "CreateMeshfedTopics"
        Effect = "Allow"
        Action = ["kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic"]
        Resource = concat(
          flatten([for name in local.provisioned : [
            "${local.topic_arn}/meshfed.cluster.${name}.events",
            "${local.topic_arn}/meshfed.cluster.${name}.config",
          ]]),
          ["${local.topic_arn}/${local.failover_events}", "${local.topic_arn}/${local.dead_letter}"],
        )
      },
    ]
  })

  # Who may assume each role; a principal without any trust gets a policy only (attach it to
  # your own role, e.g. an IRSA role).
  trusts = merge(
    { for name, agent in var.agents : "agent-${name}" => agent.trust },
    var.topology == null ? {} : { topology = var.topology.trust },
    var.provisioner == null ? {} : { provisioner = var.provisioner.trust },
  )
  with_role = {
    for key, trust in local.trusts : key => trust
    if length(trust.services) + length(trust.aws) > 0 || trust.assume_role_policy != null
  }
  trust_documents = {
    for key, trust in local.with_role : key => trust.assume_role_policy != null ? trust.assume_role_policy : jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect = "Allow"
        Principal = merge(
          length(trust.services) > 0 ? { Service = trust.services } : {},
          length(trust.aws) > 0 ? { AWS = trust.aws } : {},
        )
        # EKS Pod Identity also tags the session.
        Action = contains(trust.services, "pods.eks.amazonaws.com") ? ["sts:AssumeRole", "sts:TagSession"] : ["sts:AssumeRole"]
      }]
    })
  }

  documents = merge(
    { for name, doc in local.agent_documents : "agent-${name}" => doc },
    var.topology == null ? {} : { topology = local.topology_document },
    var.provisioner == null ? {} : { provisioner = local.provisioner_document },
  )

  # IAM names are limited to 64 characters (roles) and 128 (policies); cluster names to 63.
  cluster_short = element(split("/", var.cluster_arn), 1)
  full_names    = { for key in keys(local.documents) : key => "${var.name_prefix}-${local.cluster_short}-${key}" }
  names = {
    for key, n in local.full_names : key => length(n) <= 64 ? n : "${substr(n, 0, 55)}-${substr(md5(n), 0, 8)}"
  }
}

resource "aws_iam_policy" "this" {
  for_each = local.documents

  name        = local.names[each.key]
  description = "meshfed ${each.key} on MSK cluster ${local.cluster_short}"
  policy      = each.value
  tags        = var.tags
}

resource "aws_iam_role" "this" {
  for_each = local.trust_documents

  name                 = local.names[each.key]
  description          = "meshfed ${each.key} on MSK cluster ${local.cluster_short}"
  assume_role_policy   = each.value
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = local.trust_documents

  role       = aws_iam_role.this[each.key].name
  policy_arn = aws_iam_policy.this[each.key].arn
}
