"""A real single-node Kubernetes on this machine (no registry, no systemd) and the Helm chart on it (make k8s-up):
the cluster binaries built once from the k8s.io/kubernetes Go module, Debian's etcd, containerd and CNI plugins,
the images imported from our dockerd, `helm upgrade --install`, and a port-forward of the gateway."""
