{{/* The Git repository every Application and the project name: required, no placeholder. */}}
{{- define "gitops.repoURL" -}}
{{- required "repoURL is required: the Git repository Argo CD syncs the platform from, e.g. helm template inquiry-gitops argocd --set repoURL=https://github.com/you/inquiry-platform.git" .Values.repoURL -}}
{{- end -}}
