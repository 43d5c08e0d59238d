variable "name_prefix" {
  description = "Prefix of the IAM policy and role names."
  type        = string
  default     = "meshfed"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,31}$", var.name_prefix))
    error_message = "name_prefix must start with a letter and hold only letters, digits and '-', at most 32 characters."
  }
}

variable "cluster_arn" {
  description = "ARN of the MSK cluster (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>) the principals use."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kafka:[a-z0-9-]+:[0-9]{12}:cluster/[^/]+/[^/]+$", var.cluster_arn))
    error_message = "cluster_arn must be an MSK cluster ARN: arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>."
  }
}

variable "agents" {
  description = <<-EOT
    Member clusters whose agents connect to this MSK cluster, by cluster name (a DNS-1123 label,
    as meshfed's ClusterTopic.CLUSTER_NAME). Each gets a policy for exactly its own topics and,
    when `trust` names who may assume it, a role:
    services (e.g. ["pods.eks.amazonaws.com"] for EKS Pod Identity), aws (principal ARNs), or
    assume_role_policy (a whole trust policy, e.g. for IRSA's OIDC provider).
  EOT
  type = map(object({
    trust = optional(object({
      services           = optional(list(string), [])
      aws                = optional(list(string), [])
      assume_role_policy = optional(string)
    }), {})
  }))
  default = {}

  validation {
    condition     = alltrue([for name in keys(var.agents) : can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", name))])
    error_message = "Every agent key must be a meshfed cluster name: a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit)."
  }
}

variable "topology" {
  description = "The topology's principal: its Kafka Streams application id (meshfed.application.id, prefix of its internal topics and transactional ids, and its group) and who may assume its role. null: no topology principal on this cluster."
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
    condition     = var.topology == null || can(regex("^[a-zA-Z0-9][a-zA-Z0-9._-]{0,99}$", var.topology.application_id))
    error_message = "topology.application_id must be a valid Kafka Streams application id: letters, digits, '.', '_', '-', at most 100 characters."
  }
}

variable "provisioner" {
  description = "The principal that runs `meshfed admin add-cluster` (creates the members' events and config topics and the shared topics). null: none."
  type = object({
    trust = optional(object({
      services           = optional(list(string), [])
      aws                = optional(list(string), [])
      assume_role_policy = optional(string)
    }), {})
  })
  default = {}
}

variable "provisioned_clusters" {
  description = "Cluster names whose topics the provisioner may create on this MSK cluster (defaults to the agents' clusters)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.provisioned_clusters == null || alltrue([for name in coalesce(var.provisioned_clusters, []) : can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", name))])
    error_message = "provisioned_clusters must hold meshfed cluster names (DNS-1123 labels)."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
