// Package meshnames holds the names that the services and the Dapr resources (deploy/dapr,
// the Helm chart) must agree on: app ids, components, topics and bindings. A consistency
// test checks the resources against these constants, so a rename cannot silently break
// the mesh.
package meshnames

// App ids.
const (
	API          = "api"
	Recurring    = "recurring"
	Notification = "notification"
	Audit        = "audit"
	Realtime     = "realtime"
	Web          = "web"
)

// Components.
const (
	// PubSub is the pub/sub component every service publishes and subscribes through;
	// replicas of one app share its consumer group (each event reaches one replica).
	PubSub = "pubsub"
	// BroadcastPubSub is the same broker with a consumer group per replica, so that every
	// replica of realtime receives every TaskUpdateEvent.
	BroadcastPubSub = "pubsub-broadcast"
	// StateStore keeps short-lived shared state (login rate-limit counters).
	StateStore = "statestore"
	// SessionStore holds the ended sessions (signed out before their access tokens
	// expire), written by api and read by every service that verifies tokens; its keys
	// carry no app-id prefix, so that every app reads the same list.
	SessionStore = "sessionstore"
	// SecretStore holds the database URL and the token signing key.
	SecretStore = "secretstore"
	// ReminderCron is the input binding that drives the reminder sweep in api.
	ReminderCron = "reminder-cron"
)

// Topics.
const (
	// TaskEvents carries taskmesh.events.v1.TaskEvent: every change to a task.
	TaskEvents = "task-events"
	// Reminders carries taskmesh.events.v1.ReminderEvent: a reminder came due.
	Reminders = "reminders"
	// TaskUpdates carries taskmesh.events.v1.TaskUpdateEvent: what users' open pages show live.
	TaskUpdates = "task-updates"
)

// Secrets in SecretStore.
const (
	DatabaseURLSecret = "database-url"
	SigningKeySecret  = "auth-signing-key"
	// VerifyKeySecret is the public half of the signing key, for services that only
	// check access tokens.
	VerifyKeySecret = "auth-verify-key"
)

// DeadLetter returns the dead-letter topic of topic, where poison messages go.
func DeadLetter(topic string) string { return topic + "-dead" }
