{{/* A one-replica StatefulSet of Kafka, MongoDB or MinIO with its headless and its client Service. Arguments:
     root, name, values (the component's values), ports (list of name/port), command (optional), env (YAML list),
     init (YAML list of init containers). */}}
{{- define "labelstream.infra" -}}
{{- $root := .root -}}
{{- $fullname := include "labelstream.name" (dict "root" $root "name" .name) -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}-headless
  labels:
    {{- include "labelstream.labels" (dict "root" $root "name" .name) | nindent 4 }}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector:
    {{- include "labelstream.selector" (dict "root" $root "name" .name) | nindent 4 }}
  ports:
    {{- range .ports }}
    - {name: {{ .name }}, port: {{ .port }}, targetPort: {{ .port }}}
    {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "labelstream.labels" (dict "root" $root "name" .name) | nindent 4 }}
spec:
  selector:
    {{- include "labelstream.selector" (dict "root" $root "name" .name) | nindent 4 }}
  ports:
    {{- range .ports }}
    - {name: {{ .name }}, port: {{ .port }}, targetPort: {{ .port }}}
    {{- end }}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "labelstream.labels" (dict "root" $root "name" .name) | nindent 4 }}
    app.kubernetes.io/component: infrastructure
spec:
  serviceName: {{ $fullname }}-headless
  replicas: 1
  selector:
    matchLabels:
      {{- include "labelstream.selector" (dict "root" $root "name" .name) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "labelstream.labels" (dict "root" $root "name" .name) | nindent 8 }}
        app.kubernetes.io/component: infrastructure
        labelstream.io/tier: infrastructure
    spec:
      {{- include "labelstream.podCommon" $root | nindent 6 }}
      terminationGracePeriodSeconds: 30
      {{- with .init }}
      initContainers: {{- . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .name }}
          image: {{ include "labelstream.image" (dict "root" $root "name" .name "tag" (include "labelstream.infraTag" (dict "root" $root "name" .name))) }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          {{- with .command }}
          command: {{ toJson . }}
          {{- end }}
          ports:
            {{- range .ports }}
            - {name: {{ .name }}, containerPort: {{ .port }}}
            {{- end }}
          {{- with .env }}
          env: {{- . | nindent 12 }}
          {{- end }}
          readinessProbe:
            tcpSocket: {port: {{ (first .ports).port }}}
            periodSeconds: 2
            failureThreshold: 3
          livenessProbe:
            tcpSocket: {port: {{ (first .ports).port }}}
            initialDelaySeconds: 60
            periodSeconds: 10
            failureThreshold: 6
          resources: {{- toYaml .values.resources | nindent 12 }}
          {{- include "labelstream.containerSecurity" $root | nindent 10 }}
          volumeMounts:
            - {name: data, mountPath: /data}
            - {name: tmp, mountPath: /tmp}
      volumes:
        - name: tmp
          emptyDir: {}
        {{- if not .values.persistence.enabled }}
        - name: data
          emptyDir: {}
        {{- end }}
  {{- if .values.persistence.enabled }}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        {{- with .values.persistence.storageClassName }}
        storageClassName: {{ . }}
        {{- end }}
        resources:
          requests:
            storage: {{ .values.persistence.size }}
  {{- end }}
{{- end -}}
