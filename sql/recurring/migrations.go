// Package recurringsql holds the recurring service's migrations, embedded so that the
// binary applies them on start (see pkg/pgschema).
package recurringsql

import "embed"

// Migrations are the recurring schema's goose migrations, in the folder "migrations".
//
//go:embed migrations/*.sql
var Migrations embed.FS
