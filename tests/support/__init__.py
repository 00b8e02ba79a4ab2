"""What the end-to-end, replica, fault and Kubernetes suites share: clients of the running apps,
stacks to run them on, and the steps a test takes through the API."""
