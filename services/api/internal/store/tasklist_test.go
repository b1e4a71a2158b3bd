package store

import (
	"reflect"
	"strings"
	"testing"

	"github.com/taskmesh/taskmesh/gen/sqlc/apidb"
)

// TestTaskColumnsMatchTheGeneratedRow guards scanListed, which reads ListTasks' rows by
// position: a column added to tasks (and so to apidb.Task by `make generate`) must be
// added to taskColumns and to the scan too.
func TestTaskColumnsMatchTheGeneratedRow(t *testing.T) {
	typ := reflect.TypeFor[apidb.Task]()
	var want []string
	for i := range typ.NumField() {
		want = append(want, typ.Field(i).Tag.Get("db"))
	}
	if got := strings.Split(taskColumns, ", "); !reflect.DeepEqual(got, want) {
		t.Errorf("taskColumns are\n%v\nbut apidb.Task's fields are\n%v", got, want)
	}
}
