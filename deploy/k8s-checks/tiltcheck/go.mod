// tiltcheck runs the repository's Tiltfile against stubs of Tilt's functions. A module of its
// own so that the Starlark interpreter stays out of the services' go.mod; it pins the
// go.starlark.net that Tilt v0.37 vendors.
module github.com/taskmesh/taskmesh/deploy/k8s-checks/tiltcheck

go 1.26.0

require (
	go.starlark.net v0.0.0-20240510163022-f457c4c2b267
	gopkg.in/yaml.v3 v3.0.1
)

require golang.org/x/sys v0.0.0-20220715151400-c0bba94af5f8 // indirect
