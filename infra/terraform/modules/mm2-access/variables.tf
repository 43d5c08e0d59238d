variable "name" {
  description = "Name of the MirrorMaker 2 policy and role."
  type        = string
  default     = "meshfed-mm2"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,63}$", var.name))
    error_message = "name must start with a letter and hold only letters, digits and '-', at most 64 characters."
  }
}

variable "hub_cluster_arn" {
  description = "ARN of the hub region's MSK cluster (MM2 alias `hub`)."
  type        = string
}

variable "standby_cluster_arn" {
  description = "ARN of the standby region's MSK cluster (MM2 alias `standby`)."
  type        = string
}

variable "hub_to_standby_topics" {
  description = "Topics MM2 copies from the hub to the standby with IdentityReplicationPolicy (same name on both sides)."
  type        = list(string)
}

variable "standby_to_hub_topics" {
  description = "Topics MM2 copies from the standby to the hub with IdentityReplicationPolicy (same name on both sides)."
  type        = list(string)

  validation {
    condition     = length(setintersection(toset(var.standby_to_hub_topics), toset(var.hub_to_standby_topics))) == 0
    error_message = "A topic must flow one way only: with identity replication a topic mirrored both ways would loop."
  }
}

variable "trust" {
  description = "Who may assume the MM2 role: services, aws principal ARNs, or a whole assume_role_policy. Empty: policy only."
  type = object({
    services           = optional(list(string), [])
    aws                = optional(list(string), [])
    assume_role_policy = optional(string)
  })
  default = {}
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
