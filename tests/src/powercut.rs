//! A power cut for SQLite, at the VFS layer: what a disk keeps when the power goes is what was
//! synced, plus any of the writes since that the drive happened to have written.
//!
//! [`install`] registers a VFS over the system's `unix` VFS as the default, so every SQLite
//! connection the process opens afterwards (HQ's store, a till's store) goes through it. It passes
//! every call through to the real file, and keeps beside each file the image a power cut would
//! leave: the file's content at its last `xSync`, and the writes and truncations made since.
//! [`cut`] takes that image of every file under a directory at the moment it is called and writes
//! it into another directory: the first as the disk would be if nothing unsynced reached it, then
//! as many as asked with a seeded random subset of the unsynced writes applied (a drive that wrote
//! some of its cache before the power went). Opening the copy is opening the database after the
//! power came back. A `PRAGMA synchronous` that does not sync on commit leaves the commit out of
//! the first image, whatever the page cache held.
//!
//! What this does not model: sector tearing inside one write, reordering across a sync, and the
//! directory entry of a newly created file (taken as durable at once; SQLite syncs the directory
//! itself where it matters). The `-shm` index is not a file SQLite expects to survive and is not
//! copied; SQLite rebuilds it from the WAL.
#![allow(unsafe_code)] // A VFS is a table of C callbacks; every unsafe block forwards one of them.

use std::collections::HashMap;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rusqlite::ffi;

/// A write or truncation the drive has been asked for but not told to make durable.
#[derive(Clone, Debug)]
enum Op {
    Write { at: usize, data: Vec<u8> },
    Truncate(usize),
}

#[derive(Default)]
struct Image {
    synced: Vec<u8>,
    pending: Vec<Op>,
}

fn apply(image: &mut Vec<u8>, op: &Op) {
    match op {
        Op::Write { at, data } => {
            if image.len() < at + data.len() {
                image.resize(at + data.len(), 0);
            }
            image[*at..at + data.len()].copy_from_slice(data);
        }
        Op::Truncate(len) => image.truncate(*len),
    }
}

fn images() -> MutexGuard<'static, HashMap<PathBuf, Image>> {
    static IMAGES: OnceLock<Mutex<HashMap<PathBuf, Image>>> = OnceLock::new();
    IMAGES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner())
}

/// How many syncs reached each file so far (tests print it to say what a commit cost).
pub fn syncs() -> u64 {
    SYNCS.load(std::sync::atomic::Ordering::Relaxed)
}
static SYNCS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Our file: SQLite's header, then the real file's handle and the path it tracks.
#[repr(C)]
struct File {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    path: *mut PathBuf,
}

struct Vfs {
    ours: ffi::sqlite3_vfs,
    real: *mut ffi::sqlite3_vfs,
    methods: ffi::sqlite3_io_methods,
}
// SAFETY: written once in `install` and only read afterwards; SQLite's own VFS table is shared
// between threads the same way.
unsafe impl Send for Vfs {}
unsafe impl Sync for Vfs {}

static VFS: OnceLock<Box<Vfs>> = OnceLock::new();

fn real_vfs() -> *mut ffi::sqlite3_vfs {
    VFS.get().expect("installed").real
}

/// Makes the power-cut VFS the process's default. Call it before the first connection opens;
/// calling it again does nothing.
pub fn install() {
    VFS.get_or_init(|| {
        // SAFETY: sqlite3_vfs_find(NULL) initialises SQLite and returns the default VFS ("unix"),
        // which lives as long as the process.
        let real = unsafe { ffi::sqlite3_vfs_find(std::ptr::null()) };
        assert!(!real.is_null(), "SQLite has a default VFS");
        // SAFETY: `real` points to a valid, static sqlite3_vfs.
        let mut ours = unsafe { *real };
        ours.zName = c"powercut".as_ptr();
        ours.szOsFile = std::mem::size_of::<File>() as c_int;
        ours.pNext = std::ptr::null_mut();
        ours.xOpen = Some(x_open);
        ours.xDelete = Some(x_delete);
        ours.xAccess = Some(x_access);
        ours.xFullPathname = Some(x_full_pathname);
        let methods = ffi::sqlite3_io_methods {
            iVersion: 3,
            xClose: Some(x_close),
            xRead: Some(x_read),
            xWrite: Some(x_write),
            xTruncate: Some(x_truncate),
            xSync: Some(x_sync),
            xFileSize: Some(x_file_size),
            xLock: Some(x_lock),
            xUnlock: Some(x_unlock),
            xCheckReservedLock: Some(x_check_reserved_lock),
            xFileControl: Some(x_file_control),
            xSectorSize: Some(x_sector_size),
            xDeviceCharacteristics: Some(x_device_characteristics),
            xShmMap: Some(x_shm_map),
            xShmLock: Some(x_shm_lock),
            xShmBarrier: Some(x_shm_barrier),
            xShmUnmap: Some(x_shm_unmap),
            xFetch: Some(x_fetch),
            xUnfetch: Some(x_unfetch),
        };
        let mut vfs = Box::new(Vfs { ours, real, methods });
        // SAFETY: the Box is kept in a static for the life of the process, so the pointer SQLite
        // keeps stays valid.
        let rc = unsafe { ffi::sqlite3_vfs_register(&mut vfs.ours, 1) };
        assert_eq!(rc, ffi::SQLITE_OK, "register the power-cut VFS");
        vfs
    });
}

/// Writes into `to` what a power cut now would leave of every file under `from`, for each of
/// `1 + torn` disks: first the synced content only, then `torn` disks that also wrote a random
/// (seeded) subset of the unsynced writes, in order. Returns the directories, `to/0`, `to/1`, ...
pub fn cut(from: &Path, to: &Path, torn: usize, seed: u64) -> Vec<PathBuf> {
    let mut rng = StdRng::seed_from_u64(seed);
    let taken: Vec<(PathBuf, Vec<u8>, Vec<Op>)> = images()
        .iter()
        .filter(|(p, _)| p.starts_with(from))
        .map(|(p, i)| (p.clone(), i.synced.clone(), i.pending.clone()))
        .collect();
    (0..=torn)
        .map(|n| {
            let dir = to.join(n.to_string());
            for (path, synced, pending) in &taken {
                let mut image = synced.clone();
                if n > 0 {
                    for op in pending {
                        if rng.random_bool(0.5) {
                            apply(&mut image, op);
                        }
                    }
                }
                let out = dir.join(path.strip_prefix(from).expect("under from"));
                std::fs::create_dir_all(out.parent().expect("a parent")).expect("mkdir");
                std::fs::write(&out, &image).expect("write the image");
            }
            dir
        })
        .collect()
}

// SAFETY (all callbacks below): SQLite calls them with the pointers it documents: `file` is a
// block of `szOsFile` bytes that `x_open` initialised as a `File` whose `real` handle was opened
// by the real VFS, and buffers of the given sizes.

fn track(file: *mut ffi::sqlite3_file) -> &'static PathBuf {
    // SAFETY: see above; `path` was leaked by x_open and is freed only in x_close.
    unsafe { &*(*file.cast::<File>()).path }
}

fn real(file: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    // SAFETY: see above.
    unsafe { (*file.cast::<File>()).real }
}

fn real_methods(file: *mut ffi::sqlite3_file) -> &'static ffi::sqlite3_io_methods {
    // SAFETY: the real VFS set pMethods on a successful open.
    unsafe { &*(*real(file)).pMethods }
}

unsafe extern "C" fn x_open(
    _: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let vfs = real_vfs();
    // SAFETY: see above; the real file gets a block of the real VFS's own size.
    unsafe {
        let size = usize::try_from((*vfs).szOsFile).expect("size");
        let real = ffi::sqlite3_malloc64(size as u64).cast::<ffi::sqlite3_file>();
        if real.is_null() {
            return ffi::SQLITE_NOMEM;
        }
        std::ptr::write_bytes(real.cast::<u8>(), 0, size);
        let f = file.cast::<File>();
        (*f).base.pMethods = std::ptr::null();
        let rc = ((*vfs).xOpen.expect("xOpen"))(vfs, name, real, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            ffi::sqlite3_free(real.cast());
            return rc;
        }
        let path = if name.is_null() {
            PathBuf::from(format!("/nonexistent/temp-{:p}", real))
        } else {
            PathBuf::from(CStr::from_ptr(name).to_string_lossy().into_owned())
        };
        images().entry(path.clone()).or_insert_with(|| Image {
            // A file that was there before we first saw it is taken as it is on disk.
            synced: std::fs::read(&path).unwrap_or_default(),
            pending: Vec::new(),
        });
        (*f).real = real;
        (*f).path = Box::into_raw(Box::new(path));
        (*f).base.pMethods = &VFS.get().expect("installed").methods;
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn x_delete(_: *mut ffi::sqlite3_vfs, name: *const c_char, sync_dir: c_int) -> c_int {
    let vfs = real_vfs();
    // SAFETY: forwards to the real VFS with the same arguments.
    let rc = unsafe { ((*vfs).xDelete.expect("xDelete"))(vfs, name, sync_dir) };
    if rc == ffi::SQLITE_OK && !name.is_null() {
        // SAFETY: a NUL-terminated path from SQLite.
        let path = PathBuf::from(unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned());
        images().remove(&path);
    }
    rc
}

unsafe extern "C" fn x_access(_: *mut ffi::sqlite3_vfs, name: *const c_char, flags: c_int, out: *mut c_int) -> c_int {
    let vfs = real_vfs();
    // SAFETY: forwards to the real VFS.
    unsafe { ((*vfs).xAccess.expect("xAccess"))(vfs, name, flags, out) }
}

unsafe extern "C" fn x_full_pathname(
    _: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    n: c_int,
    out: *mut c_char,
) -> c_int {
    let vfs = real_vfs();
    // SAFETY: forwards to the real VFS.
    unsafe { ((*vfs).xFullPathname.expect("xFullPathname"))(vfs, name, n, out) }
}

unsafe extern "C" fn x_close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: see above; after this SQLite never uses `file` again.
    unsafe {
        let r = real(file);
        let rc = (real_methods(file).xClose.expect("xClose"))(r);
        ffi::sqlite3_free(r.cast());
        drop(Box::from_raw((*file.cast::<File>()).path));
        rc
    }
}

unsafe extern "C" fn x_read(file: *mut ffi::sqlite3_file, buf: *mut c_void, n: c_int, at: i64) -> c_int {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xRead.expect("xRead"))(real(file), buf, n, at) }
}

unsafe extern "C" fn x_write(file: *mut ffi::sqlite3_file, buf: *const c_void, n: c_int, at: i64) -> c_int {
    // SAFETY: forwards; `buf` holds `n` bytes.
    let rc = unsafe { (real_methods(file).xWrite.expect("xWrite"))(real(file), buf, n, at) };
    if rc == ffi::SQLITE_OK {
        // SAFETY: as above.
        let data = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), usize::try_from(n).unwrap_or(0)) }.to_vec();
        let at = usize::try_from(at).unwrap_or(0);
        if let Some(i) = images().get_mut(track(file)) {
            i.pending.push(Op::Write { at, data });
        }
    }
    rc
}

unsafe extern "C" fn x_truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    // SAFETY: forwards.
    let rc = unsafe { (real_methods(file).xTruncate.expect("xTruncate"))(real(file), size) };
    if rc == ffi::SQLITE_OK
        && let Some(i) = images().get_mut(track(file))
    {
        i.pending.push(Op::Truncate(usize::try_from(size).unwrap_or(0)));
    }
    rc
}

unsafe extern "C" fn x_sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: forwards.
    let rc = unsafe { (real_methods(file).xSync.expect("xSync"))(real(file), flags) };
    if rc == ffi::SQLITE_OK
        && let Some(i) = images().get_mut(track(file))
    {
        let pending = std::mem::take(&mut i.pending);
        for op in &pending {
            apply(&mut i.synced, op);
        }
        SYNCS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    rc
}

unsafe extern "C" fn x_file_size(file: *mut ffi::sqlite3_file, out: *mut i64) -> c_int {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xFileSize.expect("xFileSize"))(real(file), out) }
}

unsafe extern "C" fn x_lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xLock.expect("xLock"))(real(file), level) }
}

unsafe extern "C" fn x_unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xUnlock.expect("xUnlock"))(real(file), level) }
}

unsafe extern "C" fn x_check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xCheckReservedLock.expect("xCheckReservedLock"))(real(file), out) }
}

unsafe extern "C" fn x_file_control(file: *mut ffi::sqlite3_file, op: c_int, arg: *mut c_void) -> c_int {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xFileControl.expect("xFileControl"))(real(file), op, arg) }
}

unsafe extern "C" fn x_sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xSectorSize.expect("xSectorSize"))(real(file)) }
}

unsafe extern "C" fn x_device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xDeviceCharacteristics.expect("xDeviceCharacteristics"))(real(file)) }
}

unsafe extern "C" fn x_shm_map(
    file: *mut ffi::sqlite3_file,
    pg: c_int,
    sz: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xShmMap.expect("xShmMap"))(real(file), pg, sz, extend, out) }
}

unsafe extern "C" fn x_shm_lock(file: *mut ffi::sqlite3_file, offset: c_int, n: c_int, flags: c_int) -> c_int {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xShmLock.expect("xShmLock"))(real(file), offset, n, flags) }
}

unsafe extern "C" fn x_shm_barrier(file: *mut ffi::sqlite3_file) {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xShmBarrier.expect("xShmBarrier"))(real(file)) }
}

unsafe extern "C" fn x_shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xShmUnmap.expect("xShmUnmap"))(real(file), delete) }
}

unsafe extern "C" fn x_fetch(file: *mut ffi::sqlite3_file, at: i64, n: c_int, out: *mut *mut c_void) -> c_int {
    // SAFETY: forwards (a memory-mapped read; writes still go through x_write).
    unsafe { (real_methods(file).xFetch.expect("xFetch"))(real(file), at, n, out) }
}

unsafe extern "C" fn x_unfetch(file: *mut ffi::sqlite3_file, at: i64, p: *mut c_void) -> c_int {
    // SAFETY: forwards.
    unsafe { (real_methods(file).xUnfetch.expect("xUnfetch"))(real(file), at, p) }
}
