output "policy_arn" {
  description = "ARN of the MirrorMaker 2 policy."
  value       = aws_iam_policy.this.arn
}

output "role_arn" {
  description = "ARN of the MirrorMaker 2 role, or null where no trust was given."
  value       = try(aws_iam_role.this[0].arn, null)
}

output "policy_document" {
  description = "The MirrorMaker 2 policy document (JSON)."
  value       = local.document
}
