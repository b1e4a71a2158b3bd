package pgerr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskmesh/taskmesh/pkg/pgerr"
)

func TestInterpretation(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("insert task: %w", err) }
	unique := &pgconn.PgError{Code: "23505", ConstraintName: "users_email_key"}
	cases := []struct {
		name                      string
		err                       error
		noRows, unique, uniqueKey bool
		data                      bool
	}{
		{name: "nil", err: nil},
		{name: "other error", err: errors.New("connection reset")},
		{name: "no rows", err: pgx.ErrNoRows, noRows: true},
		{name: "wrapped no rows", err: wrap(pgx.ErrNoRows), noRows: true},
		{name: "unique violation of the key", err: wrap(unique), unique: true, uniqueKey: true},
		{name: "unique violation of another key", err: &pgconn.PgError{Code: "23505", ConstraintName: "tags_name_key"}, unique: true},
		{name: "foreign key violation", err: &pgconn.PgError{Code: "23503"}},
		{name: "null character in text", err: wrap(&pgconn.PgError{Code: "22P05"}), data: true},
		{name: "datetime out of range", err: &pgconn.PgError{Code: "22008"}, data: true},
		{name: "short code", err: &pgconn.PgError{Code: "22"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := pgerr.IsNoRows(c.err); got != c.noRows {
				t.Errorf("IsNoRows = %v, want %v", got, c.noRows)
			}
			if got := pgerr.IsUniqueViolation(c.err, ""); got != c.unique {
				t.Errorf("IsUniqueViolation(any) = %v, want %v", got, c.unique)
			}
			if got := pgerr.IsUniqueViolation(c.err, "users_email_key"); got != c.uniqueKey {
				t.Errorf("IsUniqueViolation(users_email_key) = %v, want %v", got, c.uniqueKey)
			}
			if got := pgerr.IsDataException(c.err); got != c.data {
				t.Errorf("IsDataException = %v, want %v", got, c.data)
			}
		})
	}
}
