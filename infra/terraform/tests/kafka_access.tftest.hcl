# Plan-level tests of modules/kafka-access: what each principal's IAM policy names.
# Policies are jsonencode'd from known inputs, so a plan with a mocked provider sees them.

mock_provider "aws" {}

variables {
  cluster_arn = "arn:aws:kafka:eu-west-1:123456789012:cluster/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3"
  agents = {
    "cluster-a" = {}
    "cluster-b" = { trust = { services = ["pods.eks.amazonaws.com"] } }
  }
  topology    = { trust = { services = ["ecs-tasks.amazonaws.com"] } }
  provisioner = {}
}

run "agent_a_names_only_its_own_topics" {
  command = plan

  module {
    source = "./modules/kafka-access"
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_policy.this["agent-cluster-a"].policy).Statement : [for r in s.Resource : r if strcontains(r, ":topic/")]
      ])) == toset([
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed.cluster.cluster-a.events",
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed.cluster.cluster-a.config",
    ])
    error_message = "cluster-a's agent policy must name exactly its own events and config topics."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_policy.this["agent-cluster-a"].policy).Statement : alltrue([for r in s.Resource : !strcontains(r, "cluster-b") && !strcontains(r, "*")])])
    error_message = "cluster-a's agent policy must not name cluster-b or any wildcard."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_policy.this["agent-cluster-a"].policy).Statement : alltrue([for r in s.Resource : !strcontains(r, ":group/") && !strcontains(r, ":transactional-id/")])])
    error_message = "The agent uses no consumer group (assign + seekToBeginning) and no transactional id (idempotent producer only): its policy must grant none."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_policy.this["agent-cluster-a"].policy).Statement : s.Effect == "Allow" && (
        !contains(s.Action, "kafka-cluster:WriteData") || s.Resource == ["arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed.cluster.cluster-a.events"]
        ) && (
        !contains(s.Action, "kafka-cluster:ReadData") || s.Resource == ["arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed.cluster.cluster-a.config"]
      )
    ])
    error_message = "cluster-a's agent may write only its events topic and read only its config topic."
  }

  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_policy.this["agent-cluster-a"].policy).Statement : s.Action])) == toset([
      "kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently", "kafka-cluster:DescribeTopic",
      "kafka-cluster:WriteData", "kafka-cluster:ReadData",
    ])
    error_message = "The agent's actions must be exactly Connect, WriteDataIdempotently, DescribeTopic, WriteData, ReadData."
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_policy.this["agent-cluster-b"].policy).Statement : alltrue([for r in s.Resource : !strcontains(r, "cluster-a")])])
    error_message = "cluster-b's agent policy must not name cluster-a."
  }

  assert {
    condition     = !contains(keys(aws_iam_role.this), "agent-cluster-a") && contains(keys(aws_iam_role.this), "agent-cluster-b")
    error_message = "A role is created only for an agent whose trust names a principal."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this["agent-cluster-b"].assume_role_policy).Statement[0].Action == ["sts:AssumeRole", "sts:TagSession"]
    error_message = "EKS Pod Identity needs sts:TagSession beside sts:AssumeRole."
  }

  assert {
    condition     = output.topics["cluster-a"] == { events = "meshfed.cluster.cluster-a.events", config = "meshfed.cluster.cluster-a.config" }
    error_message = "Topic names must follow meshfed's MeshfedTopics."
  }
}

run "topology_gets_its_streams_resources_and_no_member_topic_creation" {
  command = plan

  module {
    source = "./modules/kafka-access"
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_policy.this["topology"].policy).Statement : [for r in s.Resource : r if strcontains(r, ":group/")]
    ])) == toset(["arn:aws:kafka:eu-west-1:123456789012:group/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed-topology"])
    error_message = "The topology's only group is its application id."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_policy.this["topology"].policy).Statement : [for r in s.Resource : r if strcontains(r, ":transactional-id/")]
    ])) == toset(["arn:aws:kafka:eu-west-1:123456789012:transactional-id/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed-topology-*"])
    error_message = "The topology's transactional ids are <application.id>-*."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_policy.this["topology"].policy).Statement : s.Resource if contains(s.Action, "kafka-cluster:CreateTopic")
      ])) == toset([
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed.failover-events",
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed.dead-letter",
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed-topology-*",
    ])
    error_message = "The topology may create only the shared topics and its own internal topics."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(aws_iam_policy.this["topology"].policy).Statement : s.Resource if contains(s.Action, "kafka-cluster:WriteData")
      ])) == toset([
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed.cluster.*.config",
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed.failover-events",
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed.dead-letter",
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed-topology-*",
    ])
    error_message = "The topology writes config topics, the decision log, dead letters and its internal topics: never an events topic."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this["topology"].assume_role_policy).Statement[0].Principal == { Service = ["ecs-tasks.amazonaws.com"] }
    error_message = "The topology's role trusts what topology.trust names."
  }
}

run "custom_application_id_reaches_every_streams_resource" {
  command = plan

  module {
    source = "./modules/kafka-access"
  }

  variables {
    topology = { application_id = "meshfed-prod" }
  }

  assert {
    condition     = strcontains(output.topology_policy_document, "/meshfed-prod-*") && strcontains(output.topology_policy_document, ":group/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/meshfed-prod\"") && !strcontains(output.topology_policy_document, "meshfed-topology")
    error_message = "application_id must name the internal topics, transactional ids and group."
  }

  assert {
    condition     = output.topology_role_arn == null
    error_message = "No trust, no role."
  }
}

run "provisioner_creates_only_the_listed_clusters_topics" {
  command = plan

  module {
    source = "./modules/kafka-access"
  }

  assert {
    condition = toset(flatten([for s in jsondecode(output.provisioner_policy_document).Statement : s.Resource if contains(s.Action, "kafka-cluster:CreateTopic")])) == toset([
      for t in ["meshfed.cluster.cluster-a.events", "meshfed.cluster.cluster-a.config", "meshfed.cluster.cluster-b.events", "meshfed.cluster.cluster-b.config", "meshfed.failover-events", "meshfed.dead-letter"] :
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/5a1f0b2c-1111-2222-3333-444455556666-3/${t}"
    ])
    error_message = "The provisioner creates exactly the members' topics and the shared ones."
  }

  assert {
    condition     = !strcontains(output.provisioner_policy_document, "ReadData") && !strcontains(output.provisioner_policy_document, "WriteData")
    error_message = "The provisioner reads and writes no data."
  }
}

run "rejects_a_cluster_name_that_is_not_a_dns_label" {
  command = plan

  module {
    source = "./modules/kafka-access"
  }

  variables {
    agents = { "Cluster_A" = {} }
  }

  expect_failures = [var.agents]
}

run "rejects_a_cluster_name_longer_than_63" {
  command = plan

  module {
    source = "./modules/kafka-access"
  }

  variables {
    agents = { "${join("", [for i in range(64) : "a"])}" = {} }
  }

  expect_failures = [var.agents]
}
