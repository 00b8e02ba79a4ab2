// The tiny app `cluster/check.sh` runs beside an injected daprd sidecar.
module dapr-commerce/cluster/probe

go 1.24.0
