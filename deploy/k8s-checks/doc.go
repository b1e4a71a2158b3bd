// Package k8schecks holds the tests that keep the Kubernetes deliverables in step with the
// code, without a cluster:
//
//   - the Helm chart (deploy/helm/taskmesh, rendered with the pinned helm) and the local
//     Dapr resources (deploy/dapr/local) name the app ids, ports, components, topics,
//     bindings and secrets that the services use (pkg/meshnames and the services' own
//     code, read with go/ast), and Dapr's access control lets exactly the calls the code
//     makes through;
//   - deploy/docker/build.sh, the build command of the images, builds every service as a
//     static binary here, from the directories the Dockerfile copies;
//   - deploy/helm/dev-secrets.sh makes Secrets the services accept, once.
//
// The schema checks (helm lint, kubeconform against schemas made offline) are in
// check.sh: `make k8s-check`, also run by `make test`.
package k8schecks
