//! The merged file system of an image: a tree of directories whose names
//! are bytes (never converted: a name that is not UTF-8 matches only the
//! same bytes), built as the layers stream by.
//!
//! Layers are applied as the OCI image spec's "Applying Changesets" says,
//! entry by entry: `.wh.NAME` removes what lower layers put at NAME,
//! `.wh..wh..opq` hides everything lower layers put in its directory, a
//! file replaces a directory (and the reverse), hard links share their
//! target's contents, and a member whose parent directories are not in the
//! layer gets them, as container runtimes create them. Every node records
//! the layer that last put it, so a layer's whiteouts never remove what the
//! same layer added, whatever their order in the tar stream.

use std::collections::BTreeMap;

/// A node's place in the tree.
pub(super) type Id = u32;

/// The root directory.
pub(super) const ROOT: Id = 0;

/// A regular file: which tar entry holds its bytes, its size and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileNode {
    /// The tar entry holding its bytes (shared by hard links).
    pub id: u64,
    /// Size in bytes.
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
}

/// One node of the merged file system, as [`super::ImageFs::lstat`] gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A regular file.
    File(FileNode),
    /// A directory.
    Dir,
    /// A symbolic link and its target, as stored.
    Symlink(Vec<u8>),
    /// A device, FIFO or other special file.
    Special,
}

enum Entry {
    Dir(BTreeMap<Box<[u8]>, Id>),
    File(FileNode),
    Symlink(Box<[u8]>),
    Special,
}

struct Slot {
    /// The layer that last put this node.
    layer: u16,
    entry: Entry,
}

/// What a tar entry puts in the tree.
pub(super) enum Put<'a> {
    /// A directory (merged with one already there).
    Dir,
    /// A regular file.
    File(FileNode),
    /// A symbolic link.
    Symlink(&'a [u8]),
    /// A hard link to the file at this path (components, from the root).
    HardLink(&'a [&'a [u8]]),
    /// A device, FIFO or other.
    Special,
}

/// The tree.
pub(super) struct Tree {
    slots: Vec<Slot>,
}

impl Tree {
    /// A tree with an empty root directory.
    pub(super) fn new() -> Tree {
        Tree {
            slots: vec![Slot {
                layer: 0,
                entry: Entry::Dir(BTreeMap::new()),
            }],
        }
    }

    /// The child `name` of directory `dir`.
    pub(super) fn child(&self, dir: Id, name: &[u8]) -> Option<Id> {
        match &self.slots[dir as usize].entry {
            Entry::Dir(children) => children.get(name).copied(),
            _ => None,
        }
    }

    /// The node `id`.
    pub(super) fn node(&self, id: Id) -> Node {
        match &self.slots[id as usize].entry {
            Entry::Dir(_) => Node::Dir,
            Entry::File(f) => Node::File(*f),
            Entry::Symlink(t) => Node::Symlink(t.to_vec()),
            Entry::Special => Node::Special,
        }
    }

    /// The names in directory `dir`, in byte order.
    pub(super) fn list(&self, dir: Id) -> Vec<Vec<u8>> {
        match &self.slots[dir as usize].entry {
            Entry::Dir(children) => children.keys().map(|k| k.to_vec()).collect(),
            _ => Vec::new(),
        }
    }

    /// Every regular file, as (path components joined by `/`, file), in
    /// path order.
    pub(super) fn files(&self, out: &mut dyn FnMut(&[u8], FileNode)) {
        let mut path = Vec::new();
        self.walk(ROOT, &mut path, out);
    }

    /// A regular file or symbolic link named `name`, each directory's
    /// entries searched before its subdirectories, as its path (components
    /// joined by `/`).
    pub(super) fn named(&self, name: &[u8]) -> Option<Vec<u8>> {
        let mut pending: Vec<(Id, Vec<u8>)> = vec![(ROOT, Vec::new())];
        while let Some((dir, path)) = pending.pop() {
            let Entry::Dir(children) = &self.slots[dir as usize].entry else {
                continue;
            };
            let mut dirs = Vec::new();
            for (child, id) in children {
                let mut p = path.clone();
                if !p.is_empty() {
                    p.push(b'/');
                }
                p.extend_from_slice(child);
                match &self.slots[*id as usize].entry {
                    Entry::File(_) | Entry::Symlink(_) if &**child == name => return Some(p),
                    Entry::Dir(_) => dirs.push((*id, p)),
                    _ => {}
                }
            }
            pending.extend(dirs.into_iter().rev());
        }
        None
    }

    fn walk(&self, dir: Id, path: &mut Vec<u8>, out: &mut dyn FnMut(&[u8], FileNode)) {
        let Entry::Dir(children) = &self.slots[dir as usize].entry else {
            return;
        };
        for (name, id) in children {
            let len = path.len();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
            match &self.slots[*id as usize].entry {
                Entry::File(f) => out(path, *f),
                Entry::Dir(_) => self.walk(*id, path, out),
                _ => {}
            }
            path.truncate(len);
        }
    }

    /// Apply one entry of layer `layer` at `path` (clean components).
    /// Errors: a hard link whose target is not a regular file.
    pub(super) fn put(&mut self, layer: u16, path: &[&[u8]], what: Put<'_>) -> Result<(), String> {
        let Some((name, parents)) = path.split_last() else {
            return Ok(()); // the root itself
        };
        let dir = self.parents(layer, parents);
        let entry = match what {
            Put::Dir => {
                if let Some(id) = self.child(dir, name).filter(|id| matches!(self.node(*id), Node::Dir)) {
                    self.slots[id as usize].layer = layer;
                    return Ok(());
                }
                Entry::Dir(BTreeMap::new())
            }
            Put::File(f) => Entry::File(f),
            Put::Symlink(t) => Entry::Symlink(t.into()),
            Put::Special => Entry::Special,
            Put::HardLink(target) => match self.lookup(target).map(|id| self.node(id)) {
                Some(Node::File(f)) => Entry::File(f),
                _ => return Err(format!("a hard link to {}, which is not a regular file", show(target))),
            },
        };
        let id = self.slots.len() as Id;
        self.slots.push(Slot { layer, entry });
        if let Entry::Dir(children) = &mut self.slots[dir as usize].entry {
            children.insert((*name).into(), id);
        }
        Ok(())
    }

    /// The directory at `parents`, created (as container runtimes do)
    /// where it is missing or is not a directory.
    fn parents(&mut self, layer: u16, parents: &[&[u8]]) -> Id {
        let mut dir = ROOT;
        for name in parents {
            dir = match self.child(dir, name) {
                Some(id) if matches!(self.slots[id as usize].entry, Entry::Dir(_)) => id,
                _ => {
                    let id = self.slots.len() as Id;
                    self.slots.push(Slot {
                        layer,
                        entry: Entry::Dir(BTreeMap::new()),
                    });
                    if let Entry::Dir(children) = &mut self.slots[dir as usize].entry {
                        children.insert((*name).into(), id);
                    }
                    id
                }
            };
        }
        dir
    }

    /// The node at `path` (components), links not followed.
    pub(super) fn lookup(&self, path: &[&[u8]]) -> Option<Id> {
        path.iter().try_fold(ROOT, |dir, name| self.child(dir, name))
    }

    /// `.wh.NAME` of layer `layer` in directory `parents`: remove what lower
    /// layers put at NAME.
    pub(super) fn whiteout(&mut self, layer: u16, parents: &[&[u8]], name: &[u8]) {
        if let Some(dir) = self.lookup(parents) {
            self.remove_lower(dir, name, layer);
        }
    }

    /// `.wh..wh..opq` of layer `layer` in `dir`: hide what lower layers put
    /// in it.
    pub(super) fn opaque(&mut self, layer: u16, dir: &[&[u8]]) {
        if let Some(dir) = self.lookup(dir) {
            self.opaque_id(dir, layer);
        }
    }

    /// Remove `name` from `dir` if a lower layer put it; if this layer put
    /// a directory there, remove what lower layers put inside it.
    fn remove_lower(&mut self, dir: Id, name: &[u8], layer: u16) {
        let Some(id) = self.child(dir, name) else { return };
        if self.slots[id as usize].layer < layer {
            if let Entry::Dir(children) = &mut self.slots[dir as usize].entry {
                children.remove(name);
            }
        } else if matches!(self.slots[id as usize].entry, Entry::Dir(_)) {
            self.opaque_id(id, layer);
        }
    }

    fn opaque_id(&mut self, dir: Id, layer: u16) {
        let Entry::Dir(children) = &self.slots[dir as usize].entry else {
            return;
        };
        let names: Vec<Box<[u8]>> = children.keys().cloned().collect();
        for name in names {
            self.remove_lower(dir, &name, layer);
        }
    }
}

/// A path's components, shown as text.
pub(super) fn show(path: &[&[u8]]) -> String {
    crate::text::from_bytes(&path.join(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(id: u64) -> Put<'static> {
        Put::File(FileNode {
            id,
            size: 1,
            mode: 0o755,
        })
    }

    #[test]
    fn layers_merge_as_the_spec_says() {
        let mut t = Tree::new();
        // Layer 0: usr/bin/app alone: its parents are implied.
        t.put(0, &[b"usr", b"bin", b"app"], file(1)).unwrap();
        assert!(matches!(t.node(t.lookup(&[b"usr", b"bin"]).unwrap()), Node::Dir));
        t.put(0, &[b"usr", b"lib", b"a"], file(2)).unwrap();
        // Layer 1: its own file, then an opaque marker: its file stays.
        t.put(1, &[b"usr", b"lib", b"b"], file(3)).unwrap();
        t.opaque(1, &[b"usr", b"lib"]);
        assert_eq!(t.list(t.lookup(&[b"usr", b"lib"]).unwrap()), [b"b".to_vec()]);
        // Layer 2: whiteout of usr/bin; a hard link; a file over a directory.
        t.whiteout(2, &[b"usr"], b"bin");
        assert!(t.lookup(&[b"usr", b"bin"]).is_none());
        t.put(2, &[b"link"], Put::HardLink(&[b"usr", b"lib", b"b"])).unwrap();
        assert_eq!(
            t.node(t.lookup(&[b"link"]).unwrap()),
            t.node(t.lookup(&[b"usr", b"lib", b"b"]).unwrap())
        );
        assert!(t.put(2, &[b"bad"], Put::HardLink(&[b"nope"])).is_err());
        t.put(2, &[b"usr"], file(4)).unwrap();
        assert!(t.lookup(&[b"usr", b"lib"]).is_none());
        // Names are bytes: "app\xff" is not "app\u{fffd}".
        t.put(3, &[b"app\xff"], file(5)).unwrap();
        assert!(t.lookup(&["app\u{fffd}".as_bytes()]).is_none());
        assert!(t.lookup(&[b"app\xff"]).is_some());
    }
}
