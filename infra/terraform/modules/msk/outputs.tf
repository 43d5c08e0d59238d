output "cluster_arn" {
  description = "ARN of the MSK cluster (the IAM policies derive topic, group and transactional-id ARNs from it)."
  value       = aws_msk_cluster.this.arn
}

output "cluster_name" {
  description = "Name of the MSK cluster."
  value       = aws_msk_cluster.this.cluster_name
}

output "bootstrap_brokers_sasl_iam" {
  description = "Bootstrap servers of the IAM listener (TLS, port 9098): meshfed.bootstrap.servers for every client in this region."
  value       = aws_msk_cluster.this.bootstrap_brokers_sasl_iam
}

output "security_group_id" {
  description = "Security group of the brokers."
  value       = aws_security_group.brokers.id
}

output "kms_key_arn" {
  description = "KMS key encrypting the brokers' storage."
  value       = local.kms_key_arn
}
