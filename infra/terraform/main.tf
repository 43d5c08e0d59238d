# meshfed on AWS: one MSK cluster per region (the hub, and optionally a standby), IAM
# policies per principal (an agent per member cluster, the topology, the topic provisioner),
# and, with a standby, the MirrorMaker 2 principal that joins the two regions. README.md
# beside this file has the picture; DESIGN.md the principal → resource → operation table.

locals {
  standby = var.standby_region != null

  home = { for name, c in var.member_clusters : name => coalesce(c.region, var.hub_region) }

  hub_members     = { for name, c in var.member_clusters : name => { trust = c.trust } if local.home[name] == var.hub_region }
  standby_members = { for name, c in var.member_clusters : name => { trust = c.trust } if local.standby && local.home[name] == var.standby_region }

  policy_sources = sort([for name, c in var.member_clusters : name if c.policy_source])

  events = { for name in keys(var.member_clusters) : name => "meshfed.cluster.${name}.events" }
  config = { for name in keys(var.member_clusters) : name => "meshfed.cluster.${name}.config" }

  # MirrorMaker 2, identity replication (a topic keeps its name, so the topology's pattern
  # meshfed.cluster.<name>.events still yields the cluster). Each topic flows one way:
  # - standby → hub: the standby agents' events, for the topology at the hub;
  # - hub → standby: the standby agents' configs (written at the hub), the decision log, and
  #   the hub agents' events (so that a standby topology has every input if the hub is lost).
  standby_to_hub = sort([for name in keys(local.standby_members) : local.events[name]])
  hub_to_standby = sort(concat(
    [for name in keys(local.standby_members) : local.config[name]],
    [for name in keys(local.hub_members) : local.events[name]],
    ["meshfed.failover-events"],
  ))
}

module "hub_msk" {
  source = "./modules/msk"

  name                      = "${var.name}-hub"
  kafka_version             = var.kafka_version
  vpc_id                    = var.hub_network.vpc_id
  subnet_ids                = var.hub_network.subnet_ids
  client_cidr_blocks        = var.hub_network.client_cidr_blocks
  client_security_group_ids = var.hub_network.client_security_group_ids
  broker_count              = var.broker_count
  instance_type             = var.broker_instance_type
  ebs_volume_size           = var.broker_volume_size
  tags                      = var.tags
}

module "hub_access" {
  source = "./modules/kafka-access"

  name_prefix = var.name
  cluster_arn = module.hub_msk.cluster_arn
  agents      = local.hub_members
  topology    = var.topology
  provisioner = { trust = var.provisioner_trust }
  # Every member's topics exist at the hub: the topology writes every config topic there.
  provisioned_clusters = keys(var.member_clusters)
  tags                 = var.tags
}

module "standby_msk" {
  source = "./modules/msk"
  count  = local.standby ? 1 : 0

  providers = {
    aws = aws.standby
  }

  name                      = "${var.name}-standby"
  kafka_version             = var.kafka_version
  vpc_id                    = var.standby_network.vpc_id
  subnet_ids                = var.standby_network.subnet_ids
  client_cidr_blocks        = var.standby_network.client_cidr_blocks
  client_security_group_ids = var.standby_network.client_security_group_ids
  broker_count              = var.broker_count
  instance_type             = var.broker_instance_type
  ebs_volume_size           = var.broker_volume_size
  tags                      = var.tags
}

module "standby_access" {
  source = "./modules/kafka-access"
  count  = local.standby ? 1 : 0

  # IAM is global; the policies name the standby cluster's ARNs.
  name_prefix = var.name
  cluster_arn = module.standby_msk[0].cluster_arn
  agents      = local.standby_members
  # The standby topology: its role exists so it can be started when the hub is lost.
  topology             = var.topology
  provisioner          = { trust = var.provisioner_trust }
  provisioned_clusters = keys(var.member_clusters)
  tags                 = var.tags
}

module "mm2" {
  source = "./modules/mm2-access"
  count  = local.standby ? 1 : 0

  name                  = "${var.name}-mm2"
  hub_cluster_arn       = module.hub_msk.cluster_arn
  standby_cluster_arn   = module.standby_msk[0].cluster_arn
  hub_to_standby_topics = local.hub_to_standby
  standby_to_hub_topics = local.standby_to_hub
  trust                 = var.mm2_trust
  tags                  = var.tags
}
