# Plan-level tests of the example root module: one region, then hub + standby with
# MirrorMaker 2. Two mocked providers (the hub's and the standby's) with fixed MSK ARNs and
# bootstrap strings, available at plan time (override_during = plan).

mock_provider "aws" {
  override_during = plan

  mock_resource "aws_msk_cluster" {
    defaults = {
      arn                        = "arn:aws:kafka:eu-west-1:123456789012:cluster/meshfed-hub/aaaaaaaa-0000-0000-0000-000000000000-1"
      bootstrap_brokers_sasl_iam = "b-1.hub.kafka.eu-west-1.amazonaws.com:9098,b-2.hub.kafka.eu-west-1.amazonaws.com:9098"
    }
  }
}

mock_provider "aws" {
  alias           = "standby"
  override_during = plan

  mock_resource "aws_msk_cluster" {
    defaults = {
      arn                        = "arn:aws:kafka:eu-central-1:123456789012:cluster/meshfed-standby/bbbbbbbb-0000-0000-0000-000000000000-1"
      bootstrap_brokers_sasl_iam = "b-1.standby.kafka.eu-central-1.amazonaws.com:9098"
    }
  }
}

variables {
  hub_network = {
    vpc_id             = "vpc-hub"
    subnet_ids         = ["subnet-1", "subnet-2", "subnet-3"]
    client_cidr_blocks = ["10.10.0.0/16"]
  }
  member_clusters = {
    "mgmt-cluster" = { policy_source = true }
    "cluster-a"    = {}
  }
  schema_registry_url = "https://registry.example.com/apis/ccompat/v7"
}

run "one_region" {
  command = plan

  assert {
    condition     = output.mm2 == null && output.standby_bootstrap_brokers == null && output.msk_cluster_arns.standby == null
    error_message = "Without a standby region there is one MSK cluster and no MirrorMaker 2."
  }

  assert {
    condition     = output.agent_config["cluster-a"]["meshfed.bootstrap.servers"] == output.hub_bootstrap_brokers && output.agent_config["cluster-a"]["meshfed.kafka.sasl.mechanism"] == "AWS_MSK_IAM" && output.agent_config["cluster-a"]["meshfed.kafka.security.protocol"] == "SASL_SSL"
    error_message = "An agent's config points at its region's IAM listener with SASL_SSL + AWS_MSK_IAM."
  }

  assert {
    condition     = output.topology_config["eu-west-1"]["meshfed.kafka.sasl.mechanism"] == "AWS_MSK_IAM" && output.topology_config["eu-west-1"]["meshfed.kafka.security.protocol"] == "SASL_SSL" && output.topology_config["eu-west-1"]["meshfed.kafka.sasl.client.callback.handler.class"] == output.agent_config["cluster-a"]["meshfed.kafka.sasl.client.callback.handler.class"]
    error_message = "The topology's config carries the same IAM client settings as the agents'."
  }

  assert {
    condition     = output.agent_config["mgmt-cluster"]["meshfed.agent.policy.source"] == "true" && output.agent_config["cluster-a"]["meshfed.agent.policy.source"] == "false"
    error_message = "policy_source feeds meshfed.agent.policy.source."
  }

  assert {
    condition     = output.topology_config["eu-west-1"]["meshfed.policy.source.clusters"] == "mgmt-cluster" && output.topology_config["eu-west-1"]["meshfed.application.id"] == "meshfed-topology"
    error_message = "The topology's config names the policy sources and the application id."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(output.iam_policy_documents.agents["cluster-a"]).Statement : [for r in s.Resource : r if strcontains(r, ":topic/")]
      ])) == toset([
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/aaaaaaaa-0000-0000-0000-000000000000-1/meshfed.cluster.cluster-a.events",
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/aaaaaaaa-0000-0000-0000-000000000000-1/meshfed.cluster.cluster-a.config",
    ])
    error_message = "cluster-a's policy names only cluster-a's topics, on the hub cluster."
  }

  assert {
    condition     = !strcontains(output.iam_policy_documents.agents["cluster-a"], "mgmt-cluster") && !strcontains(output.iam_policy_documents.agents["mgmt-cluster"], "cluster-a")
    error_message = "No agent's policy names another cluster."
  }
}

run "hub_and_standby_with_mirrormaker" {
  command = plan

  variables {
    standby_region = "eu-central-1"
    standby_network = {
      vpc_id                    = "vpc-standby"
      subnet_ids                = ["subnet-4", "subnet-5", "subnet-6"]
      client_security_group_ids = { agents = "sg-standby-agents" }
    }
    member_clusters = {
      "mgmt-cluster" = { policy_source = true }
      "cluster-a"    = {}
      "cluster-b"    = { region = "eu-central-1" }
    }
    mm2_trust = { services = ["ecs-tasks.amazonaws.com"] }
  }

  assert {
    condition     = output.agent_config["cluster-b"]["meshfed.bootstrap.servers"] == "b-1.standby.kafka.eu-central-1.amazonaws.com:9098" && output.agent_config["cluster-a"]["meshfed.bootstrap.servers"] == output.hub_bootstrap_brokers
    error_message = "Each agent talks to its own region's MSK cluster."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(output.iam_policy_documents.agents["cluster-b"]).Statement : alltrue([
        for r in s.Resource : startswith(r, "arn:aws:kafka:eu-central-1:123456789012:") && !strcontains(r, "cluster-a") && !strcontains(r, "mgmt-cluster") && !strcontains(r, "*")
      ])
    ])
    error_message = "cluster-b's agent is granted only its own topics (no wildcard), only on the standby cluster."
  }

  assert {
    condition     = output.mm2.standby_to_hub == tolist(["meshfed.cluster.cluster-b.events"])
    error_message = "Only the standby agents' events flow to the hub."
  }

  assert {
    condition     = toset(output.mm2.hub_to_standby) == toset(["meshfed.cluster.cluster-b.config", "meshfed.cluster.cluster-a.events", "meshfed.cluster.mgmt-cluster.events", "meshfed.failover-events"])
    error_message = "The standby agents' configs, the decision log and the hub agents' events flow to the standby."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(output.iam_policy_documents.mm2).Statement : s.Resource if s.Sid == "WriteMirroredTargets"
      ])) == toset([
      "arn:aws:kafka:eu-west-1:123456789012:topic/meshfed-hub/aaaaaaaa-0000-0000-0000-000000000000-1/meshfed.cluster.cluster-b.events",
      "arn:aws:kafka:eu-central-1:123456789012:topic/meshfed-standby/bbbbbbbb-0000-0000-0000-000000000000-1/meshfed.cluster.cluster-b.config",
      "arn:aws:kafka:eu-central-1:123456789012:topic/meshfed-standby/bbbbbbbb-0000-0000-0000-000000000000-1/meshfed.cluster.cluster-a.events",
      "arn:aws:kafka:eu-central-1:123456789012:topic/meshfed-standby/bbbbbbbb-0000-0000-0000-000000000000-1/meshfed.cluster.mgmt-cluster.events",
      "arn:aws:kafka:eu-central-1:123456789012:topic/meshfed-standby/bbbbbbbb-0000-0000-0000-000000000000-1/meshfed.failover-events",
    ])
    error_message = "MM2 writes each mirrored topic only on its target side."
  }

  assert {
    condition     = !strcontains(output.iam_policy_documents.mm2, "meshfed.dead-letter") && !strcontains(output.iam_policy_documents.mm2, "meshfed-topology")
    error_message = "MM2 touches neither the dead letters nor the topology's internal topics."
  }

  assert {
    condition     = output.topology_config["eu-central-1"]["meshfed.bootstrap.servers"] == output.standby_bootstrap_brokers
    error_message = "The standby topology's config points at the standby cluster."
  }
}

run "rejects_a_bad_cluster_name" {
  command = plan

  variables {
    member_clusters = {
      "mgmt-cluster"  = { policy_source = true }
      "Cluster.With_" = {}
    }
  }

  expect_failures = [var.member_clusters]
}

run "rejects_a_cluster_in_an_unknown_region" {
  command = plan

  variables {
    member_clusters = {
      "mgmt-cluster" = { policy_source = true, region = "us-east-1" }
    }
  }

  expect_failures = [var.member_clusters]
}

run "rejects_no_policy_source" {
  command = plan

  variables {
    member_clusters = { "cluster-a" = {} }
  }

  expect_failures = [var.member_clusters]
}

run "rejects_standby_in_the_hub_region" {
  command = plan

  variables {
    standby_region  = "eu-west-1"
    standby_network = { vpc_id = "vpc-x", subnet_ids = ["subnet-7", "subnet-8"], client_cidr_blocks = ["10.30.0.0/16"] }
  }

  expect_failures = [var.standby_region]
}

run "rejects_open_ingress_from_the_root" {
  command = plan

  variables {
    hub_network = {
      vpc_id             = "vpc-hub"
      subnet_ids         = ["subnet-1", "subnet-2", "subnet-3"]
      client_cidr_blocks = ["0.0.0.0/0"]
    }
  }

  expect_failures = [var.hub_network]
}

run "rejects_open_ingress_in_the_standby" {
  command = plan

  variables {
    standby_region  = "eu-central-1"
    standby_network = { vpc_id = "vpc-x", subnet_ids = ["subnet-7", "subnet-8"], client_cidr_blocks = ["::/0"] }
  }

  expect_failures = [var.standby_network]
}
