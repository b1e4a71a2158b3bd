// Package topics names the mesh's pub/sub topics and component, in one place: the
// services, the Dapr components and the Helm chart all use these names.
package topics

const (
	// PubSub is the Dapr pub/sub component every service publishes and subscribes through.
	PubSub = "pubsub"

	// TaskEvents carries taskmesh.events.v1.TaskEvent: every change to a task.
	TaskEvents = "task-events"
	// Reminders carries taskmesh.events.v1.ReminderEvent: a reminder came due.
	Reminders = "reminders"
	// TaskUpdates carries taskmesh.events.v1.TaskUpdateEvent: what users' open pages show live.
	TaskUpdates = "task-updates"
)

// DeadLetter returns the dead-letter topic of topic, where poison messages go.
func DeadLetter(topic string) string { return topic + "-dead" }
