variable "name" {
  description = "Prefix of every resource name (MSK clusters are <name>-hub and <name>-standby)."
  type        = string
  default     = "meshfed"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,23}$", var.name))
    error_message = "name must start with a lower-case letter and hold only lower-case letters, digits and '-', at most 24 characters."
  }
}

variable "hub_region" {
  description = "AWS region of the hub: its MSK cluster carries every cluster's events (its own agents' and, mirrored, the standby region's) and the topology runs there."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.hub_region))
    error_message = "hub_region must be an AWS region name such as eu-west-1."
  }
}

variable "standby_region" {
  description = "Optional second region: its own MSK cluster for the agents homed there, MirrorMaker 2 between it and the hub, and a standby topology principal for a hub loss. null: one region."
  type        = string
  default     = null

  validation {
    condition     = var.standby_region == null || can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", coalesce(var.standby_region, "x")))
    error_message = "standby_region must be an AWS region name such as eu-central-1, or null."
  }

  validation {
    condition     = var.standby_region != var.hub_region
    error_message = "standby_region must differ from hub_region: a standby in the hub's region does not survive the loss of that region."
  }
}

variable "hub_network" {
  description = "Where the hub's brokers live and who reaches them: vpc_id, 2 or 3 private subnet_ids (one per AZ), and the clients' CIDR blocks and/or security groups (by label). No 0.0.0.0/0."
  type = object({
    vpc_id                    = string
    subnet_ids                = list(string)
    client_cidr_blocks        = optional(list(string), [])
    client_security_group_ids = optional(map(string), {})
  })

  validation {
    condition     = alltrue([for c in var.hub_network.client_cidr_blocks : !can(cidrhost(c, 0)) || tonumber(split("/", c)[1]) > 0])
    error_message = "hub_network.client_cidr_blocks must not contain 0.0.0.0/0, ::/0 or any other /0: the brokers are reachable only from named networks."
  }
}

variable "standby_network" {
  description = "As hub_network, for the standby region; required when standby_region is set."
  type = object({
    vpc_id                    = string
    subnet_ids                = list(string)
    client_cidr_blocks        = optional(list(string), [])
    client_security_group_ids = optional(map(string), {})
  })
  default = null

  validation {
    condition     = var.standby_network == null || alltrue([for c in try(var.standby_network.client_cidr_blocks, []) : !can(cidrhost(c, 0)) || tonumber(split("/", c)[1]) > 0])
    error_message = "standby_network.client_cidr_blocks must not contain 0.0.0.0/0, ::/0 or any other /0."
  }

  validation {
    condition     = (var.standby_region == null) == (var.standby_network == null)
    error_message = "standby_network must be set exactly when standby_region is set."
  }
}

variable "member_clusters" {
  description = <<-EOT
    The federated Kubernetes clusters, by meshfed cluster name (a DNS-1123 label: it becomes
    the topic names meshfed.cluster.<name>.events and .config). region: where its agent
    connects (hub_region, the default, or standby_region). policy_source: its
    FailoverService/VirtualDestination/policies are accepted (meshfed.policy.source.clusters).
    trust: who may assume its agent's role (services, aws principal ARNs, or a whole
    assume_role_policy, e.g. for IRSA); empty: a policy only, to attach to your own role.
  EOT
  type = map(object({
    region        = optional(string)
    policy_source = optional(bool, false)
    trust = optional(object({
      services           = optional(list(string), [])
      aws                = optional(list(string), [])
      assume_role_policy = optional(string)
    }), {})
  }))

  validation {
    condition     = length(var.member_clusters) > 0
    error_message = "member_clusters must name at least one cluster."
  }

  validation {
    condition     = alltrue([for name in keys(var.member_clusters) : can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", name))])
    error_message = "Every member_clusters key must be a meshfed cluster name: a DNS-1123 label (lower-case letters, digits and '-', 1 to 63 characters, starting and ending with a letter or digit), as ClusterTopic.CLUSTER_NAME requires."
  }

  validation {
    condition = alltrue([
      for c in values(var.member_clusters) : c.region == null || c.region == var.hub_region || (var.standby_region != null && c.region == var.standby_region)
    ])
    error_message = "A member cluster's region must be hub_region or standby_region (or unset: the hub)."
  }

  validation {
    condition     = anytrue([for c in values(var.member_clusters) : c.policy_source])
    error_message = "At least one member cluster must be a policy_source: the topology refuses to start without one (meshfed.policy.source.clusters)."
  }
}

variable "topology" {
  description = "The topology: its Kafka Streams application id (meshfed.application.id; prefix of its internal topics and transactional ids, and its group) and who may assume its role in each region (e.g. services = [\"ecs-tasks.amazonaws.com\"] or [\"pods.eks.amazonaws.com\"])."
  type = object({
    application_id = optional(string, "meshfed-topology")
    trust = optional(object({
      services           = optional(list(string), [])
      aws                = optional(list(string), [])
      assume_role_policy = optional(string)
    }), {})
  })
  default = {}

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9._-]{0,99}$", var.topology.application_id))
    error_message = "topology.application_id must be a Kafka Streams application id: letters, digits, '.', '_', '-', at most 100 characters."
  }
}

variable "provisioner_trust" {
  description = "Who may assume the role that runs `meshfed admin add-cluster` (creates the topics). Empty: a policy only."
  type = object({
    services           = optional(list(string), [])
    aws                = optional(list(string), [])
    assume_role_policy = optional(string)
  })
  default = {}
}

variable "mm2_trust" {
  description = "Who may assume the MirrorMaker 2 role (standby deployments only). Empty: a policy only."
  type = object({
    services           = optional(list(string), [])
    aws                = optional(list(string), [])
    assume_role_policy = optional(string)
  })
  default = {}
}

variable "kafka_version" {
  description = "MSK Kafka version (KRaft, 3.8 or later)."
  type        = string
  default     = "4.0.x.kraft"
}

variable "broker_instance_type" {
  description = "MSK broker instance type, both regions."
  type        = string
  default     = "kafka.m7g.large"
}

variable "broker_count" {
  description = "Brokers per region; a multiple of the number of subnets."
  type        = number
  default     = 3
}

variable "broker_volume_size" {
  description = "EBS storage per broker, GiB."
  type        = number
  default     = 100
}

variable "schema_registry_url" {
  description = "The Confluent-compatible schema registry API root the agents and the topology use (e.g. https://registry.example.com/apis/ccompat/v7). Not provisioned by this example."
  type        = string
  default     = null

  validation {
    condition     = var.schema_registry_url == null || can(regex("^https://", coalesce(var.schema_registry_url, "x")))
    error_message = "schema_registry_url must be an https:// URL."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
