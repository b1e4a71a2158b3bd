package taskrules

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/taskmesh/taskmesh/pkg/apierr"
)

// Text is the canonical form of user text: NFC-normalized, so that "Café" typed as one
// code point or as "e" plus a combining accent is one string (one tag, one search match).
func Text(s string) string { return norm.NFC.String(s) }

// invisible reports whether r shows nothing on its own at the edge of a name: white space
// of any kind, and format characters (Unicode category Cf: zero-width space U+200B,
// zero-width (non-)joiners U+200C/U+200D, word joiner U+2060, the byte-order mark U+FEFF,
// bidirectional marks, soft hyphen ...).
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.In(r, unicode.Cf, unicode.Zs, unicode.Zl, unicode.Zp) || r == utf8.RuneError
}

// Name is the canonical form of a title or tag name: NFC, with invisible characters
// trimmed from both ends. "Work" followed by a zero-width space is therefore the name
// "Work" (the same tag, so creating it again answers AlreadyExists) rather than a second
// tag that looks identical; invisible characters inside a name (a ZWJ in an emoji
// sequence) are kept. A name that is empty once trimmed answers InvalidArgument on field
// with rule, "must not be blank"; one longer than maxRunes once normalized (NFC can
// lengthen a string) answers InvalidArgument too.
func Name(field, rule, s string, maxRunes int) (string, error) {
	out := strings.TrimFunc(Text(s), invisible)
	if out == "" {
		return "", apierr.Invalid(field, rule, lastPart(field)+" must not be blank")
	}
	if utf8.RuneCountInString(out) > maxRunes {
		return "", apierr.Invalid(field, "string.max_len", "must be at most "+strconv.Itoa(maxRunes)+" characters")
	}
	return out, nil
}

func lastPart(field string) string {
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		return field[i+1:]
	}
	return field
}

// ParseID reads the UUID of field in any case ("7F3C..." and "7f3c..." are one id) and
// answers InvalidArgument on field when it is not one.
func ParseID(field, raw string) (uuid.UUID, error) {
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 { // the hyphenated form only, as the protos ask
		return uuid.Nil, apierr.Invalid(field, "string.uuid", "value must be a valid UUID")
	}
	return id, nil
}

// ParseIDs reads a list of UUIDs (field[i] names a bad one). The same id twice, in any
// mix of cases, answers InvalidArgument with rule repeated.unique: the protos check
// uniqueness on the text, which would let "ABC..." and "abc..." through as two ids.
func ParseIDs(field string, raw []string) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, len(raw))
	seen := make(map[uuid.UUID]bool, len(raw))
	for i, s := range raw {
		f := field + "[" + strconv.Itoa(i) + "]"
		id, err := ParseID(f, s)
		if err != nil {
			return nil, err
		}
		if seen[id] {
			return nil, apierr.Invalid(f, "repeated.unique", "repeated value "+id.String()+" (ids are read without regard to case)")
		}
		seen[id] = true
		out[i] = id
	}
	return out, nil
}
