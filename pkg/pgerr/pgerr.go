// Package pgerr is the one place that interprets PostgreSQL and pgx errors: a query that
// matched no row, a unique-constraint violation, and a value PostgreSQL refuses as data.
// Stores ask these questions at their boundary and map the answers to their own errors
// (NotFound, AlreadyExists, "unrecordable"), so no store compares SQLSTATE codes itself.
package pgerr

import (
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes and classes, from the PostgreSQL manual (appendix A).
const (
	uniqueViolation = "23505"
	dataException   = "22" // class: "\u0000" in text, a time out of range, bad input syntax ...
)

// IsNoRows reports whether err (or an error it wraps) means that a query expected a row
// and matched none.
func IsNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// IsUniqueViolation reports whether err wraps a unique-constraint violation of
// constraint, or of any constraint when constraint is empty.
func IsUniqueViolation(err error, constraint string) bool {
	pgErr, ok := asPgError(err)
	return ok && pgErr.Code == uniqueViolation && (constraint == "" || pgErr.ConstraintName == constraint)
}

// IsDataException reports whether PostgreSQL refused a value itself (SQLSTATE class 22),
// as opposed to failing to run the query: storing the same value again cannot succeed.
func IsDataException(err error) bool {
	pgErr, ok := asPgError(err)
	return ok && len(pgErr.Code) == 5 && pgErr.Code[:2] == dataException
}

func asPgError(err error) (*pgconn.PgError, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr, true
	}
	return nil, false
}
