package pgschema

import (
	"encoding/hex"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// uuidCodec is pgx's uuid codec that also reads and writes github.com/google/uuid.UUID
// (the type sqlc generates for uuid columns) directly as 16 bytes.
//
// Without it pgx treats uuid.UUID as a driver.Valuer and sql.Scanner: each value is
// printed as text, fails a binary encode, is parsed back, and only then encoded; each
// column read goes through a string and uuid.Parse. That was about 20 allocations per
// element of a uuid[] parameter, and the largest share of the api's list path in its
// CPU profile (the ids of a page are sent back to load their tags and reminders).
type uuidCodec struct{ pgtype.UUIDCodec }

func (c uuidCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(uuid.UUID); ok && (format == pgtype.BinaryFormatCode || format == pgtype.TextFormatCode) {
		return encodeGoogleUUID{format: format}
	}
	return c.UUIDCodec.PlanEncode(m, oid, format, value)
}

func (c uuidCodec) PlanScan(m *pgtype.Map, oid uint32, format int16, target any) pgtype.ScanPlan {
	if _, ok := target.(*uuid.UUID); ok && (format == pgtype.BinaryFormatCode || format == pgtype.TextFormatCode) {
		return scanGoogleUUID{format: format}
	}
	return c.UUIDCodec.PlanScan(m, oid, format, target)
}

type encodeGoogleUUID struct{ format int16 }

func (p encodeGoogleUUID) Encode(value any, buf []byte) ([]byte, error) {
	u := value.(uuid.UUID)
	if p.format == pgtype.BinaryFormatCode {
		return append(buf, u[:]...), nil
	}
	var text [36]byte
	hex.Encode(text[:8], u[:4])
	text[8] = '-'
	hex.Encode(text[9:13], u[4:6])
	text[13] = '-'
	hex.Encode(text[14:18], u[6:8])
	text[18] = '-'
	hex.Encode(text[19:23], u[8:10])
	text[23] = '-'
	hex.Encode(text[24:], u[10:])
	return append(buf, text[:]...), nil
}

type scanGoogleUUID struct{ format int16 }

func (p scanGoogleUUID) Scan(src []byte, target any) error {
	dst := target.(*uuid.UUID)
	if src == nil {
		return nil // as uuid.UUID.Scan does: NULL leaves the value as it was
	}
	if p.format == pgtype.BinaryFormatCode {
		if len(src) != 16 {
			return fmt.Errorf("invalid length for uuid: %d", len(src))
		}
		copy(dst[:], src)
		return nil
	}
	u, err := uuid.ParseBytes(src)
	if err != nil {
		return fmt.Errorf("scan uuid: %w", err)
	}
	*dst = u
	return nil
}

// registerUUID makes m use uuidCodec for uuid and uuid[], and take uuid.UUID and
// []uuid.UUID for those where a query does not say its parameters' types (the exec and
// simple-protocol modes).
func registerUUID(m *pgtype.Map) {
	t := &pgtype.Type{Name: "uuid", OID: pgtype.UUIDOID, Codec: uuidCodec{}}
	m.RegisterType(t)
	m.RegisterType(&pgtype.Type{Name: "_uuid", OID: pgtype.UUIDArrayOID, Codec: &pgtype.ArrayCodec{ElementType: t}})
	m.RegisterDefaultPgType(uuid.UUID{}, "uuid")
	m.RegisterDefaultPgType([]uuid.UUID{}, "_uuid")
}
