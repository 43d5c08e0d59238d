# The MirrorMaker 2 principal: one policy over both regions' MSK clusters. It assumes a
# dedicated MM2 (connect-mirror-maker) with cluster aliases `hub` and `standby`,
# IdentityReplicationPolicy, offset-syncs.topic.location=target, and checkpoints, heartbeats,
# group-offset sync and ACL sync off (README, "Operating at scale"). MM2's own topics all
# start with `mm2-` (mm2-configs|offsets|status.<source>.internal on the target,
# mm2-offset-syncs.<target>.internal) and its Connect group is `<source>-mm2` on the target.

locals {
  hub_topic       = replace(var.hub_cluster_arn, ":cluster/", ":topic/")
  standby_topic   = replace(var.standby_cluster_arn, ":cluster/", ":topic/")
  hub_group       = replace(var.hub_cluster_arn, ":cluster/", ":group/")
  standby_group   = replace(var.standby_cluster_arn, ":cluster/", ":group/")
  sources_on_hub  = [for t in var.hub_to_standby_topics : "${local.hub_topic}/${t}"]
  sources_on_stby = [for t in var.standby_to_hub_topics : "${local.standby_topic}/${t}"]
  targets_on_stby = [for t in var.hub_to_standby_topics : "${local.standby_topic}/${t}"]
  targets_on_hub  = [for t in var.standby_to_hub_topics : "${local.hub_topic}/${t}"]

  document = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "ConnectBothClusters"
        Effect   = "Allow"
        Action   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:WriteDataIdempotently"]
        Resource = [var.hub_cluster_arn, var.standby_cluster_arn]
      },
      {
        Sid      = "MirrorMakerInternalTopics"
        Effect   = "Allow"
        Action   = ["kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:DescribeTopicDynamicConfiguration", "kafka-cluster:ReadData", "kafka-cluster:WriteData"]
        Resource = ["${local.hub_topic}/mm2-*", "${local.standby_topic}/mm2-*"]
      },
      {
        Sid      = "MirrorMakerConnectGroups"
        Effect   = "Allow"
        Action   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
        Resource = ["${local.standby_group}/hub-mm2", "${local.hub_group}/standby-mm2"]
      },
      ],
      length(var.hub_to_standby_topics) + length(var.standby_to_hub_topics) == 0 ? [] : [
        {
          # The source connector consumes with assign() (no group); it describes the source
          # topic's configs to create the remote topic like it.
          Sid      = "ReadMirroredSources"
          Effect   = "Allow"
          Action   = ["kafka-cluster:DescribeTopic", "kafka-cluster:DescribeTopicDynamicConfiguration", "kafka-cluster:ReadData"]
          Resource = concat(local.sources_on_hub, local.sources_on_stby)
        },
        {
          Sid      = "WriteMirroredTargets"
          Effect   = "Allow"
          Action   = ["kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]
          Resource = concat(local.targets_on_stby, local.targets_on_hub)
        },
    ])
  })

  with_role = length(var.trust.services) + length(var.trust.aws) > 0 || var.trust.assume_role_policy != null
}

resource "aws_iam_policy" "this" {
  name        = var.name
  description = "meshfed MirrorMaker 2 between the hub and standby MSK clusters"
  policy      = local.document
  tags        = var.tags
}

resource "aws_iam_role" "this" {
  count = local.with_role ? 1 : 0

  name = var.name
  assume_role_policy = var.trust.assume_role_policy != null ? var.trust.assume_role_policy : jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Principal = merge(
        length(var.trust.services) > 0 ? { Service = var.trust.services } : {},
        length(var.trust.aws) > 0 ? { AWS = var.trust.aws } : {},
      )
      Action = contains(var.trust.services, "pods.eks.amazonaws.com") ? ["sts:AssumeRole", "sts:TagSession"] : ["sts:AssumeRole"]
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "this" {
  count = local.with_role ? 1 : 0

  role       = aws_iam_role.this[0].name
  policy_arn = aws_iam_policy.this.arn
}
