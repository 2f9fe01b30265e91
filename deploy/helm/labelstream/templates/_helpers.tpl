{{/* Names: every object is <release>-<component>, so two releases share a namespace. */}}
{{- define "labelstream.name" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "labelstream.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: labelstream
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "labelstream.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* The host of the Service <release>-<name>: its DNS name, or $(<NAME>_SERVICE_HOST) that the kubelet expands in
     env values (clusters without DNS; the Services are created before the pods). */}}
{{- define "labelstream.host" -}}
{{- $svc := include "labelstream.name" . -}}
{{- if eq .root.Values.serviceDiscovery "env" -}}
{{- printf "$(%s_SERVICE_HOST)" ($svc | upper | replace "-" "_") -}}
{{- else -}}
{{- $svc -}}
{{- end -}}
{{- end -}}

{{- define "labelstream.mongoUrl" -}}
{{- if .Values.mongodb.url -}}{{ .Values.mongodb.url }}
{{- else -}}mongodb://{{ include "labelstream.host" (dict "root" . "name" "mongodb") }}:27017/?replicaSet=rs0
{{- end -}}
{{- end -}}

{{- define "labelstream.mongoMember" -}}
{{ include "labelstream.host" (dict "root" . "name" "mongodb") }}:27017
{{- end -}}

{{- define "labelstream.kafka" -}}
{{- if .Values.kafka.bootstrapServers -}}{{ .Values.kafka.bootstrapServers }}
{{- else -}}{{ include "labelstream.host" (dict "root" . "name" "kafka") }}:9092
{{- end -}}
{{- end -}}

{{- define "labelstream.s3" -}}
{{- if .Values.s3.endpoint -}}{{ .Values.s3.endpoint }}
{{- else -}}{{ include "labelstream.host" (dict "root" . "name" "minio") }}:9000
{{- end -}}
{{- end -}}

{{- define "labelstream.s3Secret" -}}
{{- .Values.s3.existingSecret | default (include "labelstream.name" (dict "root" . "name" "s3")) -}}
{{- end -}}

{{- define "labelstream.authSecret" -}}
{{- .Values.auth.existingSecret | default (include "labelstream.name" (dict "root" . "name" "auth")) -}}
{{- end -}}

{{/* The image tag of the in-chart Kafka, MongoDB or MinIO (arguments: root, name): infrastructureImageTag when set;
     otherwise, on an upgrade, the tag its StatefulSet runs now (so that `--set image.tag=<new>` upgrades the
     application and leaves the infrastructure's pods, and without persistence their data, in place); on an install,
     image.tag. */}}
{{- define "labelstream.infraTag" -}}
{{- $tag := .root.Values.infrastructureImageTag -}}
{{- if not $tag -}}
{{- $running := lookup "apps/v1" "StatefulSet" .root.Release.Namespace (include "labelstream.name" .) -}}
{{- if $running -}}
{{- $tag = regexReplaceAll "^.*:" (index $running.spec.template.spec.containers 0).image "" -}}
{{- else -}}
{{- $tag = .root.Values.image.tag -}}
{{- end -}}
{{- end -}}
{{- $tag -}}
{{- end -}}

{{- define "labelstream.image" -}}
{{ .root.Values.image.repository }}/{{ .name }}:{{ .tag | default .root.Values.image.tag }}
{{- end -}}

{{/* The platform's addresses (env values, so that $(X_SERVICE_HOST) expands) and the S3 credentials. */}}
{{- define "labelstream.platformEnv" -}}
- name: LS_MONGO_URL
  value: {{ include "labelstream.mongoUrl" . | quote }}
- name: LS_KAFKA_BOOTSTRAP_SERVERS
  value: {{ include "labelstream.kafka" . | quote }}
- name: LS_S3_ENDPOINT
  value: {{ include "labelstream.s3" . | quote }}
- name: LS_S3_ACCESS_KEY
  valueFrom: {secretKeyRef: {name: {{ include "labelstream.s3Secret" . }}, key: LS_S3_ACCESS_KEY}}
- name: LS_S3_SECRET_KEY
  valueFrom: {secretKeyRef: {name: {{ include "labelstream.s3Secret" . }}, key: LS_S3_SECRET_KEY}}
{{- end -}}

{{/* What every pod spec shares: no API token, non-root, and the Service variables only where pods find Services
     by them (serviceDiscovery: env); with DNS they would only crowd the environment (a release named "ls" would
     even add LS_* variables beside the settings). */}}
{{- define "labelstream.podCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: {{ eq .Values.serviceDiscovery "env" }}
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile: {type: RuntimeDefault}
{{- with .Values.imagePullSecrets }}
imagePullSecrets: {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "labelstream.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: {drop: ["ALL"]}
{{- end -}}

{{/* An init container that waits until the replica set has a primary and the bucket notification topic exists
     (the hook Job makes both), so pods start in order instead of crash-looping into back-off. Arguments: root, tag
     (the image's; empty: image.tag). MinIO's passes infrastructureImageTag, so that an upgrade of the application
     alone leaves the infrastructure's pods (and, without persistence, their data) in place. */}}
{{- define "labelstream.waitForPlatform" -}}
{{- $root := .root -}}
- name: wait-for-platform
  image: {{ include "labelstream.image" (dict "root" $root "name" "sync-svc" "tag" .tag) }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  command: ["python", "/app/platform_init.py", "--wait"]
  env:
    {{- include "labelstream.platformEnv" $root | nindent 4 }}
  resources: {requests: {cpu: 10m, memory: 64Mi}, limits: {memory: 256Mi}}
  {{- include "labelstream.containerSecurity" $root | nindent 2 }}
{{- end -}}
