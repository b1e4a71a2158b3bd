// Package auditsql holds the audit service's migrations, embedded so that the binary
// applies them on start (see pkg/pgschema).
package auditsql

import "embed"

// Migrations are the audit schema's goose migrations, in the folder "migrations".
//
//go:embed migrations/*.sql
var Migrations embed.FS
