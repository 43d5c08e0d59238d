variable "name" {
  description = "MSK cluster name (also the prefix of the security group, KMS alias, configuration and log group)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,63}$", var.name))
    error_message = "name must start with a letter and hold only letters, digits and '-', at most 64 characters (MSK cluster name rules)."
  }
}

variable "kafka_version" {
  description = "MSK Kafka version, in KRaft mode. 3.8 or later: MSK's IAM access control handles the transaction markers Kafka Streams' exactly-once needs only from 3.8."
  type        = string
  default     = "4.0.x.kraft"

  validation {
    condition     = can(regex("^(3\\.(8|9)|[4-9]\\.[0-9]+)\\.x\\.kraft$", var.kafka_version))
    error_message = "kafka_version must be an MSK KRaft version 3.8 or later, such as \"3.9.x.kraft\" or \"4.0.x.kraft\"."
  }
}

variable "vpc_id" {
  description = "VPC the brokers' network interfaces live in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the brokers, one per availability zone (2 or 3)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2 && length(var.subnet_ids) <= 3 && length(distinct(var.subnet_ids)) == length(var.subnet_ids)
    error_message = "subnet_ids must name 2 or 3 distinct subnets (one per availability zone)."
  }
}

variable "broker_count" {
  description = "Number of brokers; a multiple of the number of subnets."
  type        = number
  default     = 3

  validation {
    condition     = var.broker_count >= 2 && var.broker_count % length(var.subnet_ids) == 0
    error_message = "broker_count must be at least 2 and a multiple of the number of subnet_ids."
  }
}

variable "instance_type" {
  description = "Broker instance type."
  type        = string
  default     = "kafka.m7g.large"

  validation {
    condition     = startswith(var.instance_type, "kafka.")
    error_message = "instance_type must be an MSK broker type such as kafka.m7g.large."
  }
}

variable "ebs_volume_size" {
  description = "EBS storage per broker, GiB."
  type        = number
  default     = 100

  validation {
    condition     = var.ebs_volume_size >= 1 && var.ebs_volume_size <= 16384
    error_message = "ebs_volume_size must be between 1 and 16384 GiB."
  }
}

variable "client_cidr_blocks" {
  description = "CIDR blocks allowed to reach the brokers' IAM listener (TCP 9098): the networks of the agents, the topology and MirrorMaker 2. Never 0.0.0.0/0 or ::/0."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.client_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "client_cidr_blocks must hold valid CIDR blocks."
  }

  validation {
    condition     = alltrue([for c in var.client_cidr_blocks : !can(cidrhost(c, 0)) || tonumber(split("/", c)[1]) > 0])
    error_message = "client_cidr_blocks must not contain an open range (0.0.0.0/0, ::/0 or any /0): the brokers are reachable only from named networks."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to reach the brokers' IAM listener, by a label you choose (static keys, so the ids may be computed in the same plan)."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for encryption at rest; null creates one (with yearly rotation)."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the broker log group in CloudWatch."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
