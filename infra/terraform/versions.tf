terraform {
  # Validation blocks that refer to other variables need 1.9; `terraform test`'s
  # override_during (mocked computed values at plan time) needs 1.11.
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = var.hub_region

  default_tags {
    tags = merge({ "app.kubernetes.io/part-of" = "meshfed", "meshfed.io/region-role" = "hub" }, var.tags)
  }
}

# Without a standby region this provider points at the hub region and nothing uses it.
provider "aws" {
  alias  = "standby"
  region = coalesce(var.standby_region, var.hub_region)

  default_tags {
    tags = merge({ "app.kubernetes.io/part-of" = "meshfed", "meshfed.io/region-role" = "standby" }, var.tags)
  }
}
