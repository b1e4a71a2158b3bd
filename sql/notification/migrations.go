// Package notificationsql holds the notification service's migrations, embedded so that
// the binary applies them on start (see pkg/pgschema).
package notificationsql

import "embed"

// Migrations are the notification schema's goose migrations, in the folder "migrations".
//
//go:embed migrations/*.sql
var Migrations embed.FS
