// Plain data shared by every module. No behaviour lives here.
//
// Conventions used throughout:
// - A *sync path* or *entry path* is relative to a machine's root, POSIX
//   separators, no leading "/" or "./", no "." or ".." segments, never "".
// - Times are numbers of seconds since the epoch as floats (sub-second part
//   kept to about a microsecond), or milliseconds where the name says `Ms`.

/** How a machine is reached: over ssh, or as a directory on this host. */
export type TransportKind = 'ssh' | 'local';

/** Operating systems whose scan command blat knows. */
export type OsKind = 'linux' | 'darwin';

/** One entry of `machines:` in blat.yaml, defaults filled in. */
export interface MachineConfig {
  readonly name: string;
  readonly transport: TransportKind;
  /** ssh destination (`user@host` or an ssh-config alias); absent for local machines. */
  readonly host?: string;
  /** Absolute directory that sync paths are relative to on that machine. */
  readonly root: string;
  readonly aliases: readonly string[];
  /** Declared OS; when absent it is detected with `uname` and kept in state.json. */
  readonly os?: OsKind;
  /** `outofuse` leaves the machine out: it is never contacted. */
  readonly state?: 'outofuse';
  /** KiB/s that a transfer to or from this machine may use (rsync --bwlimit); absent = no limit. */
  readonly bwlimit?: number;
  /** Seconds within which two of its mtimes count as equal, when declared (else Config.modifyWindow). */
  readonly modifyWindow?: number;
  /**
   * `ignore`: its permission bits are neither compared nor sent nor set (FAT, some network mounts).
   * `keep` when declared so (the probe of its root never overrides it); absent: keep, unless the probe says chmod does not work there.
   */
  readonly perms?: 'ignore' | 'keep';
  /**
   * Exclude patterns of this machine alone (machines.NAME.exclude; absent when none), added to
   * Config.exclude there: what they match is neither scanned nor written on it, and the planner
   * leaves the machine out of those paths (no source, target nor deletion).
   */
  readonly exclude?: readonly string[];
  /** Compress transfers to or from this machine (rsync -z); absent = not compressed. */
  readonly compress?: true;
  /**
   * Not declared: from the probe of its root (state.json). The modes its filesystem gives every
   * new file and folder where chmod does not work: rsync sends exactly those, so it never chmods.
   */
  readonly fixedModes?: { readonly file: number; readonly dir: number };
  /** Not declared: from the probe of its root. false where a renamed file loses its mtime: rsync sets the times again after a transfer to it. */
  readonly renameKeepsMtime?: false;
  /** Not declared: from the probe of its root. How its filesystem folds names (absent: it keeps them byte for byte). */
  readonly folding?: NameFolding;
  /** Not declared: from the probe of its root. false where its filesystem holds no symlinks (exFAT, FAT): none is planned to it. */
  readonly symlinks?: false;
  /** Not declared: from the probe of its root. The names its filesystem refuses (absent: none of those probed); no path is planned to it under one. */
  readonly refusedNames?: RefusedNames;
}

/** Names a filesystem refuses, among those the probe tries (see plan/refusedNames.ts); each absent where they can be made. */
export interface RefusedNames {
  /** The characters of `:?*"<>|\` a name cannot hold there (exFAT: all of them). */
  readonly chars?: string;
  /** A name cannot hold a control character (U+0001–U+001F, U+007F; exFAT). */
  readonly controls?: true;
  /** A name cannot hold bytes that are not UTF-8 (exFAT, NTFS). */
  readonly nonUtf8?: true;
  /** A name cannot hold anything outside ASCII (fusefat). */
  readonly nonAscii?: true;
}

/** How a filesystem folds names (see plan/nameFolding.ts). */
export interface NameFolding {
  /** Names differing only by case are one file. */
  readonly case?: boolean;
  /** An NFC name and its NFD form are one file. */
  readonly unicode?: boolean;
}

/** ssh settings applied to every ssh machine. */
export interface SshSettings {
  /** Passed as `ssh -F`; absolute after reading the config. */
  readonly configFile?: string;
  /** Extra ssh arguments, placed before the destination. */
  readonly options: readonly string[];
  /** Seconds, passed as `-o ConnectTimeout=`. */
  readonly connectTimeout: number;
}

/** A validated, frozen blat.yaml. */
export interface Config {
  /** Absolute path of the config file it was read from. */
  readonly file: string;
  readonly version: 1;
  /** The sync set's name as declared (`name:`); see setName. */
  readonly name?: string;
  /** `self:` as declared: a machine's name, or `none` (a controller: blat runs on none of them). */
  readonly self?: string;
  /** Declared sync paths (normalised). */
  readonly paths: readonly string[];
  /** rsync-style exclude patterns. */
  readonly exclude: readonly string[];
  /** Absolute state directory (lock, state.json, base.json, base.changes.jsonl, journal.jsonl). */
  readonly stateDir: string;
  /**
   * Root-relative paths blat owns on every machine (`.blat`, `.blat-tmp`, `.blat-trash`, and the
   * state folder where a root holds it): never scanned, never sent, never a sync path. Derived
   * from stateDir and the roots (not in the digest).
   */
  readonly ownPaths: readonly string[];
  readonly concurrency: number;
  /** Seconds within which two mtimes count as equal, for machines that do not declare their own (default 0). */
  readonly modifyWindow: number;
  /** Seconds a machine may send nothing during a scan, check or transfer before it is given up as stalled (default 60). */
  readonly stallTimeout: number;
  /**
   * The sync set's name: `name` when declared, else derived from the paths and the machine names
   * (config/setName.ts). Each machine keeps its part of the base in `ROOT/.blat/sets/NAME/`.
   * Matches [A-Za-z0-9][A-Za-z0-9._-]*: safe as a path segment and a shell word.
   */
  readonly setName: string;
  readonly ssh: SshSettings;
  /** The trash under every root (`.blat-trash/RUN/PATH`): runs older than `keepDays` days are removed. */
  readonly trash: { readonly keepDays: number };
  /** In the order the file declares them. */
  readonly machines: readonly MachineConfig[];
  /** sha256 (hex) of the canonical JSON of everything above but `file`, `trash` and `stallTimeout`. */
  readonly digest: string;
}

export type EntryType = 'file' | 'symlink' | 'dir';

/** What one machine holds at one path. */
export interface Entry {
  readonly type: EntryType;
  /** Seconds since the epoch, with the sub-second part the filesystem gave. */
  readonly mtime: number;
  /** Bytes (0 for directories, link length for symlinks). */
  readonly size: number;
  /** Permission bits, e.g. 0o644. */
  readonly mode: number;
  /** Link target, for symlinks only. */
  readonly target?: string;
}

/** Observed status of a machine in one run. */
export type ObservedStatus = 'online' | 'offline' | 'outofuse';

/** Status kept in state.json across runs (`unknown` until first contact). */
export type MachineState = ObservedStatus | 'unknown';

/** What the scan learned about one machine. */
export interface MachineObservation {
  readonly name: string;
  readonly status: ObservedStatus;
  /** Why it is offline (timeout, refused, host key, auth, root missing…). */
  readonly reason?: string;
  readonly os?: OsKind;
  /** Remote clock minus local clock, milliseconds (online machines only). */
  readonly clockOffsetMs?: number;
  /**
   * Offline machines only: it answered, but its root does not exist (a disk not mounted, a wrong
   * root), or is not the disk that was synced (snapshot/machineBases.ts: `reason` says which). It
   * takes no part, as an unreachable machine, but is not reported as one.
   */
  readonly rootMissing?: true;
}

/** A folder a machine's scan could not read (or enter): what lies under it is unknown there. */
export interface UnreadableFolder {
  /** Relative to the root; a sync path or a folder under one. */
  readonly path: string;
  /** find's words, e.g. "permission denied", "input/output error". */
  readonly reason: string;
}

/**
 * A snapshot that holds only the paths that may differ (see Snapshot.partial): every other path
 * under the scanned paths is held alike by every online machine, and is what the base holds for
 * each of them.
 */
export interface PartialSnapshotInfo {
  /** Paths left out (each alike everywhere and in the base). */
  readonly alike: number;
  /**
   * Machine name → files and symlinks it holds under the scanned paths (left-out paths included).
   * A machine may be missing when no count was needed (a plan the machines' seen lines answered: nothing to trash).
   */
  readonly files: ReadonlyMap<string, number>;
}

/**
 * The immutable result of scanning every participating machine once.
 * Invariants: `entries` has a map for every online machine and for no other;
 * every key of those maps lies under one of `paths`; frozen after building.
 * Unless `partial` is set, those maps hold every entry; with it, only the paths
 * that may differ, and the base given with it holds (at least) those paths.
 */
export interface Snapshot {
  /** The machine blat runs on; `none` for a controller, which is none of `machines`. */
  readonly self: string;
  /** The sync paths that were scanned (already narrowed by path arguments). */
  readonly paths: readonly string[];
  /** One per configured machine, config order. */
  readonly machines: readonly MachineObservation[];
  /** machine name → entry path → entry. */
  readonly entries: ReadonlyMap<string, ReadonlyMap<string, Entry>>;
  /** Local time of the scan, ms since the epoch. */
  readonly takenAtMs: number;
  /** sha256 (hex) over the scan outputs and statuses. */
  readonly digest: string;
  readonly partial?: PartialSnapshotInfo;
  /**
   * Online machine name → folders its scan could not read (absent or empty: none). Nothing is
   * known under them on that machine: `entries` holds nothing there, which never means "deleted".
   */
  readonly unreadable?: ReadonlyMap<string, readonly UnreadableFolder[]>;
  /**
   * Checksum scans only (`plan --checksum`): online machine → file path → sha256 (hex) of its
   * content. A file without one could not be read whole.
   */
  readonly sums?: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

/**
 * Machine name → the sync paths it was last synced for: it took part (online, answering) in the
 * last sync of every path under them, so its base there is what it held then — no entry means it
 * held nothing. Under no path of its list, a machine's missing base entry means "nothing known".
 */
export type BaseCoverage = ReadonlyMap<string, readonly string[]>;

/**
 * What each machine held at each path right after the last successful sync:
 * machine name → entry path → entry. Missing file = empty base. `covered` tells, per machine,
 * where a missing entry means "held nothing" (absent: nowhere).
 */
export interface Base extends ReadonlyMap<string, ReadonlyMap<string, Entry>> {
  readonly covered?: BaseCoverage;
  /**
   * Where on disk it came from, when readBase returned it or writeBase wrote it (state/base.ts): what
   * a write of its successor may append to. Absent on a base built otherwise (a copy, a merge).
   * Not enumerable: two bases of the same entries are equal whatever their origins.
   */
  readonly origin?: BaseSource;
}

/** Where a base read from disk came from (state/base.ts): base.json's generation and rows, and its change log as read. */
export interface BaseOrigin {
  readonly generation: string;
  /** Rows of base.json. */
  readonly rows: number;
  /** Paths named by the log's lines of this generation. */
  readonly logPaths: number;
  /** The log's size as read; -1 when it must not be appended to (a line cut short, lines of another generation). */
  readonly logBytes: number;
}

/** A base's origin, and whether the base holds only some of the paths of the one on disk (a partial snapshot's). */
export interface BaseSource extends BaseOrigin {
  readonly partial: boolean;
}

/** The closed set of things a step can do. */
export type Action = 'copy-aside' | 'move' | 'pull' | 'push' | 'copy' | 'trash';

/**
 * What a step replaces on `to`, kept in that machine's trash: `older`, a copy the winner
 * supersedes (or, for trash, the copy moved there); `changed`, a version `to` changed since
 * the last sync (the loser of a resolved conflict).
 */
export type Replaces = 'older' | 'changed';

/**
 * One transfer (or, for `trash`, one move into `.blat-trash/`; for `copy-aside`, one copy on a machine).
 * Invariants:
 * - `copy-aside` (--keep-both): `from` = `to`, the machine holding a losing version of a
 *   conflicting file `path`; `source` is that version (a file), `target` null: `as`, a name in
 *   the same folder (see buildConflictName), must be absent there. It copies the version to `as`
 *   (cp -p, never over anything); steps of path `as` then spread the copy like any new file.
 * - `move`: a path moved on `from` (the mover) since the last sync: `was` (the old path) is gone
 *   there and `path` (the new path) holds the version `was` held, which `to` still holds at `was`.
 *   `to` runs `mv was path` (never over anything): nothing is transferred. `source` is the entry
 *   expected at `was` on `to` (for a folder, the folder: what lies under it moves with it),
 *   `target` is null (nothing at `path` on `to`), no `replaces`. Files over 1 MiB move only
 *   when their content hashes agree on both ends (checked at apply).
 * - `pull`: `to` is self, `from` is an online machine holding the winner.
 * - `push`: `from` is self, `to` is an online machine that is stale.
 * - `copy`: a controller's plan only (self is `none`, no machine): `from` is an online machine
 *   holding the winner, `to` an online machine that is stale; apply relays the file through the
 *   runner's staging folder (pulled from `from`, pushed to `to`). A path's copies all come from one `from`.
 * - `trash`: `from` is the machine where the path was deleted, `to` the
 *   machine whose copy is moved to trash; `source` is null.
 * - `source` is the entry expected on `from` when the step runs (for a push
 *   that follows a pull of the same path, the pulled winner); `target` the
 *   entry expected on `to` (null = absent). A step whose machines no longer
 *   match these is not carried out.
 * - `replaces` is set exactly when `target` is a file or symlink (a version
 *   that goes to `to`'s trash): `changed` when it differs from `to`'s base
 *   entry, else `older`. Absent when `target` is null or a folder.
 */
export interface Step {
  readonly action: Action;
  readonly path: string;
  readonly from: string;
  readonly to: string;
  readonly source: Entry | null;
  readonly target: Entry | null;
  readonly replaces?: Replaces;
  /** `copy-aside` only: the conflict-copy name (relative to the root) the version is copied to. */
  readonly as?: string;
  /** `move` only: the old path (relative to the root), moved to `path`. */
  readonly was?: string;
}

/** A stale machine that could not be served now; owed until it answers. */
export interface Deferred {
  readonly path: string;
  readonly machine: string;
  readonly reason: string;
  /** The version it is owed. */
  readonly source: Entry;
}

/** One version of a conflicting path and the machines holding it (absent = deleted there). */
export interface ConflictVersion {
  readonly machines: readonly string[];
  readonly entry: Entry | null;
  /** True when this machine changed it since the base. */
  readonly changed: boolean;
}

export interface Conflict {
  readonly path: string;
  /** Short human reason, e.g. "changed on a and b", "equal mtime, different size". */
  readonly reason: string;
  readonly versions: readonly ConflictVersion[];
}

/** A path that disappeared from machines whose base had it. */
export interface Deletion {
  readonly path: string;
  readonly deletedOn: readonly string[];
  /** Machines that still hold it. */
  readonly heldOn: readonly string[];
  /** True when the plan carries it out (`trash` steps), false when held. */
  readonly propagated: boolean;
}

/** How conflicts are resolved: not at all, by newest mtime, or by a named machine. */
export type Prefer = { readonly kind: 'none' } | { readonly kind: 'newest' } | { readonly kind: 'machine'; readonly machine: string };

/** Options the planner takes besides its data. */
export interface PlanOptions {
  readonly prefer: Prefer;
  /**
   * --keep-both: a conflict between files is resolved as `prefer newest` would, and every other
   * version is kept beside it on every machine under a conflict-copy name (copy-aside steps).
   */
  readonly keepBoth?: boolean;
  readonly propagateDeletes: boolean;
  /** Seconds; two mtimes this close are equal (machines not in `windows`). */
  readonly modifyWindow: number;
  /** Machine → its own modify window, seconds; two machines compare with the larger of theirs. */
  readonly windows?: Readonly<Record<string, number>>;
  /** Machines whose modes are not part of a version (`perms: ignore`). */
  readonly ignorePerms?: readonly string[];
  /** Machine → how its filesystem folds names (probed), for the machines that fold them; absent: none does. */
  readonly folding?: Readonly<Record<string, NameFolding>>;
  /** Machines whose filesystems hold no symlinks (probed): a symlink that would be written there is a conflict of its path instead. */
  readonly noSymlinks?: readonly string[];
  /** Machine → the names its filesystem refuses (probed): a path that would be written there under one is a conflict instead. */
  readonly refusedNames?: Readonly<Record<string, RefusedNames>>;
  /** Path arguments the run was narrowed to (empty = all of `paths`). */
  readonly targets: readonly string[];
  /** `blat restore`: a held deletion is undone, the newest version still held copied back to where it was deleted. */
  readonly restoreDeletions?: boolean;
}

/**
 * A pure value computed from (config, snapshot, base, options).
 * Invariants:
 * - every copy-aside step comes before every other step, then the move steps; every pull before every push and trash step;
 * - a move step's `was` (and what lies under it) appears in no other step, conflict or deletion,
 *   and its `path` in no other step but the other machines' moves of it (a moved folder's
 *   paths that differ from what was moved have their own steps);
 * - the path `as` of a copy-aside step has a pull (when `from` is not self) and pushes that
 *   take it from `from` to every other online machine (a controller's plan: copies from `from`),
 *   and comes in no other step;
 * - a controller's plan (`self` is `none`) has copy steps and no pull or push; any other plan no copy step;
 * - at most one pull per path, and a path with a pull has its pushes after it;
 * - (action, path, to) is unique;
 * - a path appears in at most one of: steps, conflicts, held deletions;
 * - no path equal to or under an `unreadable` warning's path appears in steps, deferred,
 *   conflicts or deletions;
 *   deferred entries may accompany steps of the same path;
 * - nothing in it refers to an outofuse machine except `machines`.
 */
export interface Plan {
  readonly formatVersion: 1;
  /** The machine blat ran on; `none` for a controller (a runner holding no copy). */
  readonly self: string;
  readonly configDigest: string;
  readonly snapshotDigest: string;
  /** ms since the epoch, passed in as `now`. */
  readonly createdAtMs: number;
  readonly targets: readonly string[];
  readonly machines: readonly MachineObservation[];
  readonly steps: readonly Step[];
  readonly deferred: readonly Deferred[];
  readonly conflicts: readonly Conflict[];
  readonly deletions: readonly Deletion[];
  /** Number of entry paths found alike everywhere. */
  readonly inSync: number;
  /** What the plan left undecided or noticed (see PlanWarning), sorted by path then machine. */
  readonly warnings: readonly PlanWarning[];
}

/**
 * Something the plan could not decide or noticed, shown with it; a plan with warnings is not
 * "in sync". A union on `kind`:
 * - `unreadable`: a folder the scan could not read on `machine`; every path equal to or under
 *   `path` is left undecided on every machine (no step, deletion or conflict);
 * - `future`: a version whose mtime is more than a minute ahead of its machine's clock (mtime in
 *   seconds, on that machine's clock); such a version never wins by being newest.
 */
export type PlanWarning =
  | { readonly kind: 'unreadable'; readonly machine: string; readonly path: string; readonly reason: string }
  | { readonly kind: 'future'; readonly path: string; readonly machine: string; readonly mtime: number };

/** Counts shown in the summary line and the JSON `summary`. */
export interface PlanSummary {
  /** copy-aside steps: versions of conflicts kept beside the path under a conflict-copy name (--keep-both). */
  readonly aside: number;
  /** move steps: paths moved on one machine, moved alike on another (no transfer). */
  readonly move: number;
  readonly pull: number;
  readonly push: number;
  /** copy steps (a controller's plan: relayed from one machine to another). */
  readonly copy: number;
  readonly trash: number;
  readonly deferred: number;
  readonly conflicts: number;
  readonly deletions: number;
  /** Steps that replace a version (file or symlink), each kept in its machine's trash. */
  readonly kept: number;
}

/** One line of journal.jsonl. */
export type JournalRecord =
  | { readonly t: number; readonly event: 'begin'; readonly run: string; readonly command: string; readonly planDigest: string }
  | { readonly t: number; readonly event: 'planned'; readonly run: string; readonly step: Step }
  | { readonly t: number; readonly event: 'done'; readonly run: string; readonly step: Step }
  | { readonly t: number; readonly event: 'failed'; readonly run: string; readonly step: Step; readonly reason: string }
  | { readonly t: number; readonly event: 'stale'; readonly run: string; readonly step: Step; readonly reason: string }
  | { readonly t: number; readonly event: 'deferred'; readonly run: string; readonly path: string; readonly machine: string; readonly reason: string }
  | { readonly t: number; readonly event: 'end'; readonly run: string; readonly exitCode: number }
  /** A resume found the machine already up to date, or the owed version superseded and re-planned. */
  | { readonly t: number; readonly event: 'settled'; readonly run: string; readonly path: string; readonly machine: string; readonly reason: string };

/** One row of state.json's machine table. */
export interface MachineStateRecord {
  readonly name: string;
  readonly state: MachineState;
  readonly os?: OsKind;
  readonly reason?: string;
  /** ms since the epoch of the last successful contact. */
  readonly lastSeenMs?: number;
  readonly clockOffsetMs?: number;
  /** State offline only: it answered, but its root does not exist (see MachineObservation). */
  readonly rootMissing?: true;
  /** What the probe of its root found, once (see RootProbe); absent until probed. */
  readonly probe?: RootProbe;
}

/**
 * What a machine's root filesystem does, probed once in ROOT/.blat-tmp and kept in state.json.
 * Valid for `root` only: a machine whose root changed is probed again.
 */
export interface RootProbe {
  /** The root probed. */
  readonly root: string;
  /** ms since the epoch of the probe. */
  readonly probedMs: number;
  /** Names differing only by case are one file there (FAT, exFAT, NTFS through Windows rules, APFS and HFS+ by default). */
  readonly caseInsensitive: boolean;
  /** An NFC name and its NFD form are one file there (APFS, HFS+). */
  readonly normalizes: boolean;
  /** Seconds of mtime precision lost there: 0 (kept to the µs or better), 1 (whole seconds or coarser fractions), 2 (FAT's 2 s); absent when unknown. */
  readonly mtimeWindow?: number;
  /** chmod works there (modes can be set and read back). */
  readonly chmod: boolean;
  /** Where chmod does not work: the mode every new file and folder shows there (octal, e.g. 0o700), so that rsync is asked for it and never chmods. */
  readonly fixedModes?: { readonly file: number; readonly dir: number };
  /** false where a renamed file loses its mtime (fusefat gives it the time of the rename); absent: kept. */
  readonly renameKeepsMtime?: false;
  /** Seconds an mtime read back was off the one set, when 2 or more (fusefat under a time zone other than UTC): times are not kept there. */
  readonly mtimeShift?: number;
  /** false where no symlink can be made (exFAT, FAT); absent: they can. */
  readonly symlinks?: false;
  /** The names refused there, of those tried; absent: none was. */
  readonly refusedNames?: RefusedNames;
}
