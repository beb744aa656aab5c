data "sluice_tenant" "mine" {} # the provider's account
