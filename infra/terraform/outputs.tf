locals {
  bootstrap = {
    (var.hub_region) = module.hub_msk.bootstrap_brokers_sasl_iam
  }
  standby_bootstrap = local.standby ? module.standby_msk[0].bootstrap_brokers_sasl_iam : null

  agent_role_arns = merge(
    module.hub_access.agent_role_arns,
    local.standby ? module.standby_access[0].agent_role_arns : {},
  )

  # MSK IAM from a Kafka client: the aws-msk-iam-auth library on the classpath (the agent
  # and the topology carry it) and these settings, as meshfed.kafka.* for both. meshfed's
  # tests read this block (TerraformExample) and build their clients from it.
  kafka_iam_client = {
    "security.protocol"                  = "SASL_SSL"
    "sasl.mechanism"                     = "AWS_MSK_IAM"
    "sasl.jaas.config"                   = "software.amazon.msk.auth.iam.IAMLoginModule required;"
    "sasl.client.callback.handler.class" = "software.amazon.msk.auth.iam.IAMClientCallbackHandler"
  }
}

output "hub_bootstrap_brokers" {
  description = "Bootstrap servers (IAM over TLS, port 9098) of the hub region's MSK cluster."
  value       = module.hub_msk.bootstrap_brokers_sasl_iam
}

output "standby_bootstrap_brokers" {
  description = "Bootstrap servers of the standby region's MSK cluster, or null."
  value       = local.standby_bootstrap
}

output "msk_cluster_arns" {
  description = "MSK cluster ARNs: hub, and standby (or null)."
  value = {
    hub     = module.hub_msk.cluster_arn
    standby = local.standby ? module.standby_msk[0].cluster_arn : null
  }
}

output "topics" {
  description = "Per member cluster: its events and config topics and the region its agent uses; plus the shared topics."
  value = {
    clusters = {
      for name in keys(var.member_clusters) : name => {
        events = local.events[name]
        config = local.config[name]
        region = local.home[name]
      }
    }
    failover_events = "meshfed.failover-events"
    dead_letter     = "meshfed.dead-letter"
  }
}

output "agent_role_arns" {
  description = "Per member cluster: its agent's IAM role ARN (null where no trust was given; use agent_policy_arns)."
  value       = local.agent_role_arns
}

output "agent_policy_arns" {
  description = "Per member cluster: its agent's IAM policy ARN."
  value = merge(
    module.hub_access.agent_policy_arns,
    local.standby ? module.standby_access[0].agent_policy_arns : {},
  )
}

output "agent_config" {
  description = "Per member cluster: the agent.properties keys this deployment determines (meshfed.kafka.* go to the agent's Kafka clients). Add meshfed.agent.region/zones yourself."
  value = {
    for name, c in var.member_clusters : name => merge(
      {
        "meshfed.bootstrap.servers"   = local.home[name] == var.hub_region ? module.hub_msk.bootstrap_brokers_sasl_iam : local.standby_bootstrap
        "meshfed.agent.policy.source" = tostring(c.policy_source)
      },
      var.schema_registry_url == null ? {} : { "meshfed.registry.url" = var.schema_registry_url },
      { for k, v in local.kafka_iam_client : "meshfed.kafka.${k}" => v },
    )
  }
}

output "topology_config" {
  description = "The topology.properties keys this deployment determines, per region (standby: for a takeover); meshfed.kafka.* go to its Kafka clients."
  value = {
    for region, bootstrap in merge(local.bootstrap, local.standby ? { (var.standby_region) = local.standby_bootstrap } : {}) : region => merge(
      {
        "meshfed.bootstrap.servers"      = bootstrap
        "meshfed.application.id"         = var.topology.application_id
        "meshfed.policy.source.clusters" = join(",", local.policy_sources)
        "meshfed.processing.guarantee"   = "exactly_once_v2"
        "meshfed.standby.replicas"       = "1"
      },
      var.schema_registry_url == null ? {} : { "meshfed.registry.url" = var.schema_registry_url },
      { for k, v in local.kafka_iam_client : "meshfed.kafka.${k}" => v },
    )
  }
}

output "topology_role_arns" {
  description = "The topology's role ARN per region role (hub, standby), or null where no trust was given."
  value = {
    hub     = module.hub_access.topology_role_arn
    standby = local.standby ? module.standby_access[0].topology_role_arn : null
  }
}

output "provisioner_role_arns" {
  description = "The topic provisioner's role ARN per region role (hub, standby), or null where no trust was given."
  value = {
    hub     = module.hub_access.provisioner_role_arn
    standby = local.standby ? module.standby_access[0].provisioner_role_arn : null
  }
}

output "mm2" {
  description = "MirrorMaker 2 (standby deployments): its role and policy ARNs and the topics it carries each way, or null."
  value = local.standby ? {
    role_arn       = module.mm2[0].role_arn
    policy_arn     = module.mm2[0].policy_arn
    hub_to_standby = local.hub_to_standby
    standby_to_hub = local.standby_to_hub
  } : null
}

output "iam_policy_documents" {
  description = "Every IAM policy document this deployment creates (JSON), for review: agents by cluster, the topology, the provisioner, MM2."
  value = {
    agents = merge(
      module.hub_access.agent_policy_documents,
      local.standby ? module.standby_access[0].agent_policy_documents : {},
    )
    topology = {
      hub     = module.hub_access.topology_policy_document
      standby = local.standby ? module.standby_access[0].topology_policy_document : null
    }
    provisioner = {
      hub     = module.hub_access.provisioner_policy_document
      standby = local.standby ? module.standby_access[0].provisioner_policy_document : null
    }
    mm2 = local.standby ? module.mm2[0].policy_document : null
  }
}
