// Package dapr is the root of the one package tree that speaks to Dapr; no other package
// of Taskmesh imports github.com/dapr/... (TestOnlyThisTreeImportsDapr enforces it). Each
// subpackage is named for the side of the sidecar it works on:
//
//   - sidecar: the app calling out to its OWN sidecar's API: connecting (DAPR_GRPC_PORT),
//     secrets and settings, and handing out the publisher and state store below.
//   - invoke: the app calling OTHER apps through its sidecar (service invocation over
//     gRPC proxying): the h2c transport, shared by generated clients (invoke.Client) and
//     the web gateway's reverse proxy.
//   - publish: the app publishing to pub/sub through its sidecar; the one Publisher
//     interface, which the outbox relay and the dead-letter path depend on.
//   - state: the app reading and writing a Dapr state store through its sidecar (the
//     shared rate-limit counters).
//   - appcallback: the other direction, the sidecar calling IN to the app: topic events,
//     input bindings and app health checks, on the app's one port.
//
// The rest of the code sees only Taskmesh types (publish.Message, appcallback.Event,
// state.Item), so swapping the SDK, or faking the sidecar in a unit test, touches this
// tree alone.
package dapr
