{{/* One Deployment of a Python service in one role. Arguments: root, name (dataset-svc, ..., gateway), port,
     role (api|relay|consumers), spec (replicas, resources), autoscaled (leave replicas to the autoscaler). */}}
{{- define "labelstream.deployment" -}}
{{- $root := .root -}}
{{- $component := printf "%s-%s" .name .role -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "labelstream.name" (dict "root" $root "name" $component) }}
  labels:
    {{- include "labelstream.labels" (dict "root" $root "name" .name) | nindent 4 }}
    app.kubernetes.io/component: {{ .role }}
spec:
  {{- if not .autoscaled }}
  replicas: {{ .spec.replicas | default 1 }}
  {{- end }}
  revisionHistoryLimit: 3
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  selector:
    matchLabels:
      {{- include "labelstream.selector" (dict "root" $root "name" .name) | nindent 6 }}
      app.kubernetes.io/component: {{ .role }}
  template:
    metadata:
      labels:
        {{- include "labelstream.labels" (dict "root" $root "name" .name) | nindent 8 }}
        app.kubernetes.io/component: {{ .role }}
        labelstream.io/tier: app
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ .port | quote }}
        prometheus.io/path: /metrics
        checksum/config: {{ include (print $root.Template.BasePath "/config.yaml") $root | sha256sum | trunc 16 }}
    spec:
      {{- include "labelstream.podCommon" $root | nindent 6 }}
      # uvicorn drains for up to 15 s, then background work (relay, consumers) gets 10 s to finish its step
      terminationGracePeriodSeconds: 30
      initContainers:
        {{- include "labelstream.waitForPlatform" (dict "root" $root) | nindent 8 }}
      containers:
        - name: {{ .name }}
          image: {{ include "labelstream.image" (dict "root" $root "name" .name) }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          ports:
            - {name: http, containerPort: {{ .port }}}
          envFrom:
            - configMapRef: {name: {{ include "labelstream.name" (dict "root" $root "name" "config") }}}
            {{- if eq .name "gateway" }}
            - secretRef: {name: {{ include "labelstream.authSecret" $root }}}
            {{- end }}
          env:
            - {name: LS_ROLES, value: {{ .role }}}
            - {name: LS_HTTP_PORT, value: {{ .port | quote }}}
            {{- include "labelstream.platformEnv" $root | nindent 12 }}
            {{- if eq .name "gateway" }}
            {{- range $svc, $s := $root.Values.services }}
            - name: {{ printf "LS_%s_URL" ($svc | upper | replace "-" "_") }}
              value: {{ printf "http://%s:%v" (include "labelstream.host" (dict "root" $root "name" $svc)) $s.port | quote }}
            {{- end }}
            {{- else if eq .name "dataset-svc" }}
            - name: LS_MEDIA_SVC_URL
              value: {{ printf "http://%s:%v" (include "labelstream.host" (dict "root" $root "name" "media-svc")) (index $root.Values.services "media-svc").port | quote }}
            {{- end }}
          startupProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 2
            failureThreshold: 90
          livenessProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 10
            timeoutSeconds: 5
            failureThreshold: 6
          readinessProbe:
            httpGet: {path: /readyz, port: http}
            periodSeconds: 3
            timeoutSeconds: 5
            failureThreshold: 3
          resources: {{- toYaml (.spec.resources | default $root.Values.resources) | nindent 12 }}
          {{- include "labelstream.containerSecurity" $root | nindent 10 }}
          volumeMounts:
            - {name: tmp, mountPath: /tmp}
      volumes:
        - name: tmp
          emptyDir: {}
{{- end -}}

{{/* A PodDisruptionBudget of one role's pods. */}}
{{- define "labelstream.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "labelstream.name" (dict "root" .root "name" (printf "%s-%s" .name .role)) }}
  labels:
    {{- include "labelstream.labels" (dict "root" .root "name" .name) | nindent 4 }}
    app.kubernetes.io/component: {{ .role }}
spec:
  maxUnavailable: {{ .root.Values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "labelstream.selector" (dict "root" .root "name" .name) | nindent 6 }}
      app.kubernetes.io/component: {{ .role }}
{{- end -}}
