// Package apisql holds the api service's migrations, embedded so that the binary applies
// them on start (see pkg/pgschema).
package apisql

import (
	"embed"

	"github.com/taskmesh/taskmesh/pkg/outbox"
)

//go:embed migrations/*.sql
var own embed.FS

// Migrations are the api schema's goose migrations, in the folder "migrations": the
// files there, and pkg/outbox's table as version 00003.
var Migrations = outbox.WithMigration(own, "migrations", 3)
