{{/* Names and labels. */}}

{{- define "taskmesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every resource name: the release name, or <release>-<chart>. */}}
{{- define "taskmesh.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels of every resource; dict "root" $ "component" <name>. */}}
{{- define "taskmesh.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: taskmesh
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "taskmesh.selectorLabels" . }}
{{- end }}

{{/* Selector labels; dict "root" $ "component" <name>. */}}
{{- define "taskmesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "taskmesh.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The image of a service; dict "root" $ "name" <service>. */}}
{{- define "taskmesh.image" -}}
{{- printf "%s%s:%s" .root.Values.image.prefix .name (default .root.Chart.AppVersion .root.Values.image.tag) }}
{{- end }}

{{/* Host of the in-chart dependency <fullname>-<what> in the release namespace. */}}
{{- define "taskmesh.depHost" -}}
{{- printf "%s-%s.%s.svc.cluster.local" (include "taskmesh.fullname" .root) .what .root.Release.Namespace }}
{{- end }}

{{/* Redis host:port for the Dapr components. */}}
{{- define "taskmesh.redisHost" -}}
{{- if .Values.redisConnection.host }}
{{- .Values.redisConnection.host }}
{{- else if .Values.redis.enabled }}
{{- include "taskmesh.depHost" (dict "root" . "what" "redis") }}:6379
{{- else }}
{{- fail "redisConnection.host is empty and redis.enabled is false: no Redis for the statestore (and pub/sub)" }}
{{- end }}
{{- end }}

{{/* Kafka brokers for the Dapr pub/sub components. */}}
{{- define "taskmesh.kafkaBrokers" -}}
{{- if .Values.pubsub.kafka.brokers }}
{{- .Values.pubsub.kafka.brokers }}
{{- else if .Values.redpanda.enabled }}
{{- include "taskmesh.depHost" (dict "root" . "what" "redpanda") }}:9092
{{- else }}
{{- fail "pubsub.type is kafka but pubsub.kafka.brokers is empty and redpanda.enabled is false" }}
{{- end }}
{{- end }}

{{/* The Secret with the in-chart PostgreSQL's password. */}}
{{- define "taskmesh.postgresqlSecret" -}}
{{- default (printf "%s-postgresql" (include "taskmesh.fullname" .)) .Values.postgresql.passwordSecret.name }}
{{- end }}

{{/* Redis metadata (host, password, TLS) shared by the Redis-backed components. */}}
{{- define "taskmesh.redisMetadata" -}}
- name: redisHost
  value: {{ include "taskmesh.redisHost" . | quote }}
{{- with .Values.redisConnection.passwordSecret }}
{{- if .name }}
- name: redisPassword
  secretKeyRef:
    name: {{ .name }}
    key: {{ required "redisConnection.passwordSecret.key is required with a name" .key }}
{{- end }}
{{- end }}
- name: enableTLS
  value: {{ .Values.redisConnection.enableTLS | quote }}
{{- end }}

{{/*
The container that migrates a service's schema and exits (MIGRATE_ONLY=true): the init
container or the hook Job's container. Without a sidecar, so the database URL comes from the
database-url Secret as DATABASE_URL. dict "root" $ "name" <service>.
*/}}
{{- define "taskmesh.migrateContainer" -}}
- name: migrate
  image: {{ include "taskmesh.image" . }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  command: ["/app/service"]
  env:
    - name: MIGRATE_ONLY
      value: "true"
    - name: DATABASE_URL
      valueFrom:
        secretKeyRef:
          name: database-url
          key: database-url
    - name: LOG_LEVEL
      value: {{ .root.Values.log.level | quote }}
    - name: LOG_FORMAT
      value: {{ .root.Values.log.format | quote }}
  resources:
    {{- toYaml .root.Values.migrations.resources | nindent 4 }}
  securityContext:
    {{- toYaml .root.Values.containerSecurityContext | nindent 4 }}
{{- end }}

{{/* Soft spreading of a service's pods over nodes; dict "root" $ "component" <name>. */}}
{{- define "taskmesh.spread" -}}
{{- if .root.Values.spreadOverNodes }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "taskmesh.selectorLabels" . | nindent 8 }}
{{- end }}
{{- end }}
