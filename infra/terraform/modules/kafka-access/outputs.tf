output "agent_policy_arns" {
  description = "Per member cluster: the ARN of its agent's policy."
  value       = { for name in keys(var.agents) : name => aws_iam_policy.this["agent-${name}"].arn }
}

output "agent_role_arns" {
  description = "Per member cluster: its agent's role ARN, or null where no trust was given."
  value       = { for name in keys(var.agents) : name => try(aws_iam_role.this["agent-${name}"].arn, null) }
}

output "agent_policy_documents" {
  description = "Per member cluster: its agent's policy document (JSON)."
  value       = local.agent_documents
}

output "topology_policy_arn" {
  description = "ARN of the topology's policy, or null."
  value       = try(aws_iam_policy.this["topology"].arn, null)
}

output "topology_role_arn" {
  description = "ARN of the topology's role, or null."
  value       = try(aws_iam_role.this["topology"].arn, null)
}

output "topology_policy_document" {
  description = "The topology's policy document (JSON), or null."
  value       = local.topology_document
}

output "provisioner_policy_arn" {
  description = "ARN of the provisioner's policy, or null."
  value       = try(aws_iam_policy.this["provisioner"].arn, null)
}

output "provisioner_role_arn" {
  description = "ARN of the provisioner's role, or null."
  value       = try(aws_iam_role.this["provisioner"].arn, null)
}

output "provisioner_policy_document" {
  description = "The provisioner's policy document (JSON), or null."
  value       = local.provisioner_document
}

output "topics" {
  description = "Per member cluster: its events and config topic names."
  value       = { for name in keys(var.agents) : name => { events = local.events_topic[name], config = local.config_topic[name] } }
}
