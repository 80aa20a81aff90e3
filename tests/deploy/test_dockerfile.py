# SPDX-License-Identifier: Apache-2.0
"""The Dockerfile against scripts/bootstrap.sh and the binary (no Docker engine here to build it).

Rule for the build stage: scripts/bootstrap.sh's PACKAGES (read from the script at test time) are
what a machine needs to build, test and benchmark mlhub. The image only builds it (with
BUILD_TESTING=OFF), so the build stage installs exactly the PACKAGES that are not for tests or
benchmarks. Those are told apart by name: the test frameworks (libgtest-dev, libgmock-dev),
Python and its modules (python3, python3-*: test drivers and model training), the servers the
tests start (postgresql-*, ceph-*, radosgw, uuid-runtime), the web UI tests' browser (chromium),
the TLS tests' certificate maker (openssl), the fuzzers' compiler (clang, libclang-rt-*),
the benchmark load generator (wrk) and ccache (a compiler cache, pointless in a one-shot build).
Any other package bootstrap adds is taken to be needed to build, and this test fails until the
Dockerfile installs it too.

Rule for the runtime stage: it installs the Debian package of every shared library the binary and
its loadable modules (libmlhub_*.so next to it, e.g. the TorchScript backend) link directly
(readelf NEEDED, resolved with ldd and dpkg -S), except libc6, libgcc-s1 and libstdc++6, which
every Debian image has (apt depends on them); and it copies every such module.
"""
import re
import subprocess
from pathlib import Path

from deploy_testlib import REPO, mlhub_bin

TEST_ONLY = re.compile(r"^(libgtest-dev|libgmock-dev|python3|python3-.*|postgresql-.*|ceph-.*|radosgw"
                       r"|uuid-runtime|wrk|ccache|chromium|clang|libclang-rt-.*|openssl)$")
IN_EVERY_IMAGE = {"libc6", "libgcc-s1", "libstdc++6"}


def bootstrap_packages():
    text = (REPO / "scripts" / "bootstrap.sh").read_text()
    m = re.search(r"^PACKAGES=\((.*?)^\)", text, re.S | re.M)
    assert m, "no PACKAGES=( ... ) array in scripts/bootstrap.sh"
    body = "\n".join(line.split("#", 1)[0] for line in m.group(1).splitlines())
    packages = body.split()
    assert packages and len(packages) == len(set(packages)), packages
    return packages


def dockerfile_stages():
    """[(FROM line, [packages apt-get installs])] per stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("FROM "):
            stages.append((line, [], []))
        elif stages and not line.startswith("#"):
            stages[-1][2].append(line)
            for m in re.finditer(r"apt-get install ([^&;]*)", line):
                stages[-1][1].extend(t for t in m.group(1).split() if not t.startswith("-"))
    return stages


def test_two_stages_on_debian_12():
    stages = dockerfile_stages()
    assert len(stages) == 2
    assert stages[0][0] == "FROM debian:bookworm-slim AS build"
    assert stages[1][0] == "FROM debian:bookworm-slim"


def test_build_stage_installs_bootstrap_build_packages():
    wanted = {p for p in bootstrap_packages() if not TEST_ONLY.match(p)}
    assert {"build-essential", "cmake", "libpq-dev", "libxgboost-dev"} <= wanted  # the rule keeps libraries
    build = set(dockerfile_stages()[0][1])
    assert not wanted - build, f"bootstrap.sh builds with {sorted(wanted - build)}; the Dockerfile's build stage lacks them"
    # Node and npm build the web UI; bootstrap installs them by command, not through PACKAGES
    # (either may come from another apt source), so the build stage names them itself.
    assert "--no-install-recommends nodejs npm" in (REPO / "scripts" / "bootstrap.sh").read_text()
    assert not build - wanted - {"nodejs", "npm"}, \
        f"the build stage installs {sorted(build - wanted)}, which bootstrap.sh does not"
    lines = " ".join(dockerfile_stages()[0][2])
    assert "-DBUILD_TESTING=OFF" in lines and "--target mlhub" in lines


def linked_packages(binary):
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                        subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout)
    assert needed, f"readelf found no NEEDED entries in {binary}"
    paths = {}
    for line in subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m:
            paths[m.group(1)] = m.group(2)
    packages = {}
    for lib in needed:
        if lib.startswith("ld-linux"):  # the dynamic loader: libc6's, listed by ldd without "=>"
            packages[lib] = "libc6"
            continue
        assert lib in paths, f"ldd does not resolve {lib}"
        real = str(Path(paths[lib]).resolve())
        owner = None
        for candidate in (real, paths[lib]):  # /lib is a symlink to /usr/lib on Debian 12
            proc = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if proc.returncode == 0:
                owner = proc.stdout.split(":")[0]
                break
        if owner is None:
            proc = subprocess.run(["dpkg", "-S", Path(real).name], capture_output=True, text=True)
            assert proc.returncode == 0, f"no Debian package owns {lib} ({real})"
            owner = proc.stdout.split(":")[0]
        packages[lib] = owner
    return packages


def modules():
    """The shared modules built next to the binary (mlhub dlopens them from there)."""
    return sorted(Path(mlhub_bin()).parent.glob("libmlhub_*.so"))


def test_runtime_stage_installs_every_linked_library():
    runtime = set(dockerfile_stages()[1][1])
    for binary in [mlhub_bin(), *map(str, modules())]:
        linked = linked_packages(binary)
        missing = {lib: pkg for lib, pkg in linked.items() if pkg not in IN_EVERY_IMAGE and pkg not in runtime}
        assert not missing, f"the runtime stage lacks the packages of {missing} ({binary})"
    assert not any(p.endswith("-dev") for p in runtime), "no -dev packages at run time"


def test_runtime_stage_copies_every_module():
    lines = dockerfile_stages()[1][2]
    for module in modules():
        assert f"COPY --from=build /build/src/{module.name} /usr/local/lib/mlhub/{module.name}" in lines, module.name
    build = " ".join(dockerfile_stages()[0][2])
    for module in modules():
        target = module.name[len("lib"):-len(".so")]
        assert re.search(rf"--target [^&]*\b{target}\b", build), f"the build stage does not build {target}"


def test_runtime_is_non_root_with_mlhub_entrypoint():
    lines = dockerfile_stages()[1][2]
    assert "USER 1000:1000" in lines
    assert 'ENTRYPOINT ["mlhub"]' in lines
    assert any("--uid 1000" in l for l in lines)
    assert any(l.startswith("COPY --from=build ") and l.endswith("/usr/local/bin/mlhub") for l in lines)


def test_dockerignore_keeps_build_trees_out():
    ignored = (REPO / ".dockerignore").read_text().split()
    for entry in (".git", "build", "build-*", "tools/k8s-validate/node_modules"):
        assert entry in ignored
