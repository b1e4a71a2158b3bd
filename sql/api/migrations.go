// Package apisql holds the api service's migrations, embedded so that the binary applies
// them on start (see pkg/migrate).
package apisql

import "embed"

// Migrations are the api schema's goose migrations, in the folder "migrations".
//
//go:embed migrations/*.sql
var Migrations embed.FS
