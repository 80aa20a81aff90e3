# Kubernetes targets (docs/deploy.md), included by the top-level Makefile.
#   make gitops-deploy-mlops-stack        Argo CD: the AppProject, every Application, the app of apps
#   make gitops-deploy-<component>        Argo CD: that component's Application only
#   make gitops-status                    Argo CD applications, and the pods of namespace mlops
#   make k8s-deploy-mlops-stack-manual    kubectl apply the whole overlay (K8S_ENV=dev|prod)
#   make k8s-deploy-<component>-manual    kubectl apply one component's root of that overlay
#   make port-forward-<component>         tracking, inference, minio or postgres to localhost
#   make minio-credentials                print MinIO's access key and secret
#   make deploy-validate                  render every root and validate it offline
#   make deploy-test                      the tests/deploy suite (also part of `make test`)
#   make k8s-image                        docker build the mlhub image (K8S_IMAGE)
# Components: $(K8S_COMPONENTS). KUBECTL, K8S_ENV, K8S_NAMESPACE and K8S_IMAGE may be overridden.

# Keep the top-level Makefile's first target (`all`) the default goal.
deploy_saved_default_goal := $(.DEFAULT_GOAL)

KUBECTL ?= kubectl
K8S_ENV ?= dev
K8S_NAMESPACE ?= mlops
K8S_IMAGE ?= mlhub:dev
K8S_CRDS ?= ../shared/k8s/crds
K8S_VALIDATE = node tools/k8s-validate/validate.js --crds $(K8S_CRDS)

K8S_COMPONENTS := namespace secrets postgres minio tracking inference kserve-runtime \
                  kserve-inferenceservices kserve-gpu
GITOPS_COMPONENTS := namespace postgres minio tracking inference kserve-runtime kserve-inferenceservices

# The Kustomize root of a component in $(K8S_ENV).
k8s_root = $(strip \
  $(if $(filter kserve-inferenceservices,$(1)),deploy/kserve/inferenceservices, \
  $(if $(filter kserve-gpu,$(1)),deploy/kserve/gpu, \
  deploy/overlays/$(K8S_ENV)/$(1))))

k8s_check_component = $(if $(filter $(1),$(2)),,$(error unknown component '$(1)'; one of: $(2)))

.PHONY: gitops-deploy-mlops-stack gitops-status gitops-delete-mlops-stack \
        k8s-deploy-mlops-stack-manual k8s-delete-mlops-stack-manual \
        minio-credentials deploy-validate deploy-test k8s-image

gitops-deploy-mlops-stack:
	$(KUBECTL) apply -k deploy/argocd

# Renders deploy/argocd (so the repository URL is filled in) and applies the project and the
# one Application.
gitops-deploy-%:
	$(call k8s_check_component,$*,$(GITOPS_COMPONENTS))
	$(KUBECTL) kustomize deploy/argocd | \
	  $(KUBECTL) apply -l 'mlops.mlhub.dev/component in (project,$*)' -f -

gitops-status:
	$(KUBECTL) -n argocd get applications.argoproj.io -l app.kubernetes.io/part-of=mlops
	$(KUBECTL) -n $(K8S_NAMESPACE) get pods,jobs,pvc

# Deletes the app of apps; the finalizers cascade to every Application and what it deployed.
# The StatefulSet's volume (PostgreSQL data) stays: delete its PVC by hand (docs/deploy.md).
gitops-delete-mlops-stack:
	$(KUBECTL) -n argocd delete application mlops-stack --ignore-not-found

k8s-deploy-mlops-stack-manual:
	$(KUBECTL) -n $(K8S_NAMESPACE) delete job mlhub-db-upgrade minio-buckets --ignore-not-found
	$(KUBECTL) apply -k deploy/overlays/$(K8S_ENV)

k8s-delete-mlops-stack-manual:
	$(KUBECTL) delete -k deploy/overlays/$(K8S_ENV) --ignore-not-found

# A Job's pod template cannot change: the previous run of a component's Job goes first.
k8s-deploy-%-manual:
	$(call k8s_check_component,$*,$(K8S_COMPONENTS))
	$(if $(filter tracking,$*),$(KUBECTL) -n $(K8S_NAMESPACE) delete job mlhub-db-upgrade --ignore-not-found)
	$(if $(filter minio,$*),$(KUBECTL) -n $(K8S_NAMESPACE) delete job minio-buckets --ignore-not-found)
	$(KUBECTL) apply -k $(call k8s_root,$*)

port-forward-tracking:
	$(KUBECTL) -n $(K8S_NAMESPACE) port-forward svc/mlhub-tracking 5000:5000
port-forward-inference:
	$(KUBECTL) -n $(K8S_NAMESPACE) port-forward svc/mlhub-inference 8080:8080 8081:8081
port-forward-minio:
	$(KUBECTL) -n $(K8S_NAMESPACE) port-forward svc/minio 9000:9000 9001:9001
port-forward-postgres:
	$(KUBECTL) -n $(K8S_NAMESPACE) port-forward svc/postgres 5432:5432
.PHONY: port-forward-tracking port-forward-inference port-forward-minio port-forward-postgres

minio-credentials:
	@printf 'AWS_ACCESS_KEY_ID=%s\n' "$$($(KUBECTL) -n $(K8S_NAMESPACE) get secret minio-credentials -o jsonpath='{.data.AWS_ACCESS_KEY_ID}' | base64 -d)"
	@printf 'AWS_SECRET_ACCESS_KEY=%s\n' "$$($(KUBECTL) -n $(K8S_NAMESPACE) get secret minio-credentials -o jsonpath='{.data.AWS_SECRET_ACCESS_KEY}' | base64 -d)"

# The dev roots may create Secrets; nothing else may.
deploy-validate: bootstrap
	$(K8S_VALIDATE) --roots-under deploy/overlays/dev
	$(K8S_VALIDATE) --no-plaintext-secrets --roots-under deploy/base --roots-under deploy/overlays/prod \
	  --roots-under deploy/kserve --roots-under deploy/argocd

deploy-test: build
	cd tests/deploy && MLHUB_BIN=$(CURDIR)/$(BUILD)/src/mlhub MLHUB_K8S_CRDS=$(abspath $(K8S_CRDS)) \
	  /usr/bin/python3 -m pytest -q -p no:cacheprovider .

k8s-image:
	docker build -t $(K8S_IMAGE) .

.DEFAULT_GOAL := $(deploy_saved_default_goal)
