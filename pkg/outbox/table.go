package outbox

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// migration is the goose migration that creates the outbox table and its NOTIFY trigger
// in a service's schema; see the file for why it is idempotent.
//
//go:embed migration.sql
var migration []byte

// WithMigration returns the migrations of a service (the *.sql files in dir of own) plus
// the outbox table's migration as dir/<version>_outbox.sql, for pgschema.Migrate. version
// must be a version the service's own migrations do not use; it only orders the outbox
// among them (the migration depends on nothing else).
func WithMigration(own fs.FS, dir string, version int) fs.FS {
	return withMigration{FS: own, dir: dir, name: fmt.Sprintf("%05d_outbox.sql", version)}
}

// withMigration is own with one more file in dir. goose reads migrations through
// fs.Glob (hence ReadDir) and Open, the two methods it overrides.
type withMigration struct {
	fs.FS
	dir, name string
}

func (f withMigration) Open(name string) (fs.File, error) {
	if name == path.Join(f.dir, f.name) {
		return &migrationFile{Reader: strings.NewReader(string(migration)), name: f.name}, nil
	}
	return f.FS.Open(name)
}

func (f withMigration) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(f.FS, name)
	if err != nil || path.Clean(name) != path.Clean(f.dir) {
		return entries, err
	}
	entries = append(entries, fs.FileInfoToDirEntry(migrationInfo{name: f.name}))
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

type migrationFile struct {
	*strings.Reader
	name string
}

func (m *migrationFile) Stat() (fs.FileInfo, error) { return migrationInfo{name: m.name}, nil }
func (m *migrationFile) Close() error               { return nil }

type migrationInfo struct{ name string }

func (i migrationInfo) Name() string       { return i.name }
func (i migrationInfo) Size() int64        { return int64(len(migration)) }
func (i migrationInfo) Mode() fs.FileMode  { return 0o444 }
func (i migrationInfo) ModTime() time.Time { return time.Time{} }
func (i migrationInfo) IsDir() bool        { return false }
func (i migrationInfo) Sys() any           { return nil }

// Event is an outgoing event: a taskmesh.events.v1 message, whose event_id is the outbox
// row's id and the CloudEvent id.
type Event interface {
	proto.Message
	GetEventId() string
}

// Execer runs a statement; a pgx.Tx is one. Pass the transaction of the change that the
// event announces, so that both commit or neither does.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Insert writes msg, as protojson, to the outbox table for topic in tx. Its event_id
// must be a UUID (it becomes the row's id); another row with that id answers a unique
// violation.
func Insert(ctx context.Context, tx Execer, topic string, msg Event) error {
	id, err := uuid.Parse(msg.GetEventId())
	if err != nil {
		return fmt.Errorf("write %s event to the outbox: event_id %q: %w", topic, msg.GetEventId(), err)
	}
	if topic == "" {
		return errors.New("write event to the outbox: no topic")
	}
	payload, err := protojson.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encode %s event %s: %w", topic, id, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO outbox (id, topic, payload) VALUES ($1, $2, $3)`, id, topic, payload); err != nil {
		return fmt.Errorf("write %s event %s to the outbox: %w", topic, id, err)
	}
	return nil
}
