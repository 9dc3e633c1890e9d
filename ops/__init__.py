"""The operator's tooling: the `helpdesk` command line, the process runner behind `make run`,
the small load balancer of `helpdesk run`, and model training."""
