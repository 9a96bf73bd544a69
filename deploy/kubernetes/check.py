#!/usr/bin/env python3
"""Checks deploy/kubernetes/ offline: every file parses as YAML, the kustomization lists every manifest, and the
manifests agree with each other and with the README's "Scaling out" section (readiness probe on GET /health/ready at port
8080, HorizontalPodAutoscaler autoscaling/v2 at about 70 % CPU with minReplicas 2, at least 2 cores per pod, a
termination grace period longer than the stop sequence) and with the container check (read-only root file system,
non-root user, /tmp the only writable mount). It does not validate against Kubernetes' API schemas (no cluster or
schema download here): use `kubectl apply --dry-run=server -k deploy/kubernetes` against a cluster for that.
Needs python3 with PyYAML (Debian: python3-yaml). Exit code 0: consistent; 1: the problems are printed."""
import pathlib
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
problems = []


def expect(condition, message):
    if not condition:
        problems.append(message)


def cores(quantity):
    text = str(quantity)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def load():
    kustomization = yaml.safe_load((HERE / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in HERE.glob("*.yaml")} - {"kustomization.yaml"}
    expect(listed == present, f"kustomization.yaml lists {sorted(listed)}, the folder holds {sorted(present)}")
    objects = {}
    for name in sorted(present):
        for document in yaml.safe_load_all((HERE / name).read_text()):
            objects[document["kind"]] = document
    return objects


def check_deployment(deployment):
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    expect(spec["selector"]["matchLabels"].items() <= labels.items(), "the Deployment's selector misses its pods")
    (container,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    expect(ports.get("http") == 8080, "the container's port 'http' is not 8080")
    # Liveness asks whether the process answers; startup and readiness whether the models are loaded.
    paths = {"startupProbe": "/health/ready", "readinessProbe": "/health/ready", "livenessProbe": "/health/live"}
    for probe, path in paths.items():
        get = container.get(probe, {}).get("httpGet", {})
        expect(get.get("path") == path and get.get("port") in ("http", 8080), f"{probe} is not GET {path} on 8080")
    resources = container["resources"]
    expect(cores(resources["requests"]["cpu"]) >= 2, "a pod requests fewer than 2 cores")
    expect("memory" in resources.get("limits", {}), "no memory limit")
    security = container["securityContext"]
    expect(security.get("readOnlyRootFilesystem") is True, "the root file system is writable")
    expect(security.get("allowPrivilegeEscalation") is False, "privilege escalation is allowed")
    expect(pod["securityContext"].get("runAsNonRoot") is True, "runAsNonRoot is not set")
    expect(pod["securityContext"].get("runAsUser", 0) != 0, "the pod runs as uid 0")
    writable = [m["mountPath"] for m in container.get("volumeMounts", []) if not m.get("readOnly")]
    expect(writable == ["/tmp"], f"writable mounts {writable}, expected only /tmp")
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", ["sleep", "0"])
    # The host's default shutdown timeout (30 s) after preStop must fit in the grace period.
    expect(pod["terminationGracePeriodSeconds"] > int(pre_stop[-1]) + 30,
           "terminationGracePeriodSeconds does not cover preStop plus the 30 s shutdown timeout")
    return labels, ports


def check_others(objects, labels, ports):
    name = objects["Deployment"]["metadata"]["name"]
    service = objects["Service"]["spec"]
    expect(service["selector"].items() <= labels.items(), "the Service's selector misses the pods")
    for port in service["ports"]:
        expect(port["targetPort"] in ports or port["targetPort"] in ports.values(),
               f"the Service targets port {port['targetPort']}, which the container does not have")
    hpa = objects["HorizontalPodAutoscaler"]
    expect(hpa["apiVersion"] == "autoscaling/v2", "the HorizontalPodAutoscaler is not autoscaling/v2")
    target = hpa["spec"]["scaleTargetRef"]
    expect((target["kind"], target["name"]) == ("Deployment", name), "the autoscaler scales something else")
    expect(hpa["spec"]["minReplicas"] >= 2, "minReplicas is below 2")
    cpu = [m["resource"]["target"] for m in hpa["spec"]["metrics"] if m["type"] == "Resource"
           and m["resource"]["name"] == "cpu"]
    expect(len(cpu) == 1 and 60 <= cpu[0].get("averageUtilization", 0) <= 80, "the CPU target is not about 70 %")
    budget = objects.get("PodDisruptionBudget")
    if budget:
        expect(budget["spec"]["selector"]["matchLabels"].items() <= labels.items(), "the budget's selector misses the pods")


def main():
    objects = load()
    missing = {"Deployment", "Service", "HorizontalPodAutoscaler"} - objects.keys()
    expect(not missing, f"missing: {sorted(missing)}")
    if not missing:
        labels, ports = check_deployment(objects["Deployment"])
        check_others(objects, labels, ports)
    for problem in problems:
        print(f"deploy/kubernetes: {problem}", file=sys.stderr)
    if not problems:
        print(f"deploy/kubernetes: {', '.join(sorted(objects))} consistent.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
