//! Rust code for paket-grpc, generated from the proto files.
//!
//! The generated code is committed, so building the workspace needs no
//! protobuf compiler. protox compiles the proto files in-process (no system
//! protoc), and tonic-prost-build turns the descriptors into prost messages
//! and tonic clients and servers. Both steps are deterministic, so `--check`
//! can compare the output byte for byte with the committed files.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The include root of the proto files, relative to the workspace root.
const PROTO_DIR: &str = "proto";

/// The directory of the committed generated code, relative to the workspace root.
const GENERATED_DIR: &str = "crates/paket-grpc/src/generated";

/// The module file that declares one Rust module per proto package.
const MODULE_FILE: &str = "mod.rs";

/// Regenerates the committed code and removes generated files whose proto
/// package no longer exists.
pub fn generate(root: &Path) -> Result<()> {
    let fresh = tempfile::tempdir().context("creating a temporary directory for the generated code failed")?;
    generate_into(root, fresh.path())?;

    let target = root.join(GENERATED_DIR);
    let differences = compare(fresh.path(), &target)?;
    if differences.is_empty() {
        println!("{GENERATED_DIR} is up to date");
        return Ok(());
    }

    fs::create_dir_all(&target).with_context(|| format!("creating {} failed", target.display()))?;
    for difference in &differences {
        let destination = target.join(difference.file_name());
        match difference {
            Difference::Changed(name) | Difference::Missing(name) => {
                fs::copy(fresh.path().join(name), &destination)
                    .with_context(|| format!("writing {} failed", destination.display()))?;
                println!("wrote {GENERATED_DIR}/{name}");
            }
            Difference::Extra(name) => {
                fs::remove_file(&destination).with_context(|| format!("removing {} failed", destination.display()))?;
                println!("removed {GENERATED_DIR}/{name}");
            }
        }
    }
    Ok(())
}

/// Fails, naming the stale files, when the committed code differs from what
/// the proto files generate now.
pub fn check(root: &Path) -> Result<()> {
    let fresh = tempfile::tempdir().context("creating a temporary directory for the generated code failed")?;
    generate_into(root, fresh.path())?;

    let differences = compare(fresh.path(), &root.join(GENERATED_DIR))?;
    if differences.is_empty() {
        println!("{GENERATED_DIR} matches {PROTO_DIR}/");
        return Ok(());
    }

    let list: Vec<String> = differences.iter().map(|difference| format!("  {GENERATED_DIR}/{difference}")).collect();
    bail!(
        "the generated gRPC code is stale, because {PROTO_DIR}/ has changed since it was generated:\n{}\n\
         Run `cargo xtask codegen` and commit the result.",
        list.join("\n")
    )
}

/// Compiles every proto file under `PROTO_DIR` and writes the Rust code,
/// one file per proto package plus `MODULE_FILE`, into `out_dir`.
fn generate_into(root: &Path, out_dir: &Path) -> Result<()> {
    let proto_dir = root.join(PROTO_DIR);
    let proto_files = find_proto_files(&proto_dir)?;
    if proto_files.is_empty() {
        bail!("no .proto files found under {}", proto_dir.display());
    }

    // protox names each file by its path relative to the include root, so
    // the output does not depend on where the workspace is checked out.
    let descriptors = protox::compile(&proto_files, [&proto_dir]).map_err(|error| {
        // protox's Display omits the file and line, and its Debug form has them.
        anyhow::anyhow!("compiling the proto files failed: {error:?}")
    })?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .out_dir(out_dir)
        .compile_fds(descriptors)
        .context("generating Rust code from the proto files failed")?;

    let packages = generated_packages(out_dir)?;
    fs::write(out_dir.join(MODULE_FILE), module_file(&packages))
        .with_context(|| format!("writing {MODULE_FILE} failed"))?;
    Ok(())
}

/// Lists the `.proto` files under `dir`, sorted so that protox compiles
/// them in the same order on every machine.
fn find_proto_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = fs::read_dir(&current).with_context(|| format!("reading {} failed", current.display()))?;
        for entry in entries {
            let path = entry.with_context(|| format!("reading {} failed", current.display()))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "proto") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Returns the proto packages that prost-build wrote a file for, such as
/// `paket.v1` for `paket.v1.rs`.
fn generated_packages(out_dir: &Path) -> Result<Vec<String>> {
    let mut packages = Vec::new();
    for name in file_names(out_dir)? {
        let Some(package) = name.strip_suffix(".rs") else {
            continue;
        };
        // prost-build names the output of a file without a package `_.rs`.
        if package == "_" {
            bail!("a proto file has no `package` statement: give every file under {PROTO_DIR}/ a package");
        }
        packages.push(package.to_owned());
    }
    packages.sort();
    Ok(packages)
}

/// Builds the module file that nests each package's file in modules named
/// after the package, so `paket.v1` becomes `generated::paket::v1`.
fn module_file(packages: &[String]) -> String {
    let mut tree = ModuleTree::default();
    for package in packages {
        let mut node = &mut tree;
        for segment in package.split('.') {
            node = node.children.entry(segment.to_owned()).or_default();
        }
        node.include = Some(format!("{package}.rs"));
    }

    let mut text = String::from("// This file is @generated by `cargo xtask codegen` from proto/. Do not edit.\n");
    tree.write(&mut text, 0);
    text
}

#[derive(Debug, Default)]
struct ModuleTree {
    /// The generated file whose items belong directly in this module.
    include: Option<String>,
    children: BTreeMap<String, ModuleTree>,
}

impl ModuleTree {
    fn write(&self, text: &mut String, depth: usize) {
        let indent = "    ".repeat(depth);
        if let Some(file) = &self.include {
            text.push_str(&format!("{indent}include!(\"{file}\");\n"));
        }
        for (name, child) in &self.children {
            text.push_str(&format!("{indent}pub mod {name} {{\n"));
            child.write(text, depth + 1);
            text.push_str(&format!("{indent}}}\n"));
        }
    }
}

/// A file that differs between the freshly generated and the committed code.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Difference {
    /// Generated and committed, with different content.
    Changed(String),
    /// Generated but not committed.
    Missing(String),
    /// Committed but no longer generated.
    Extra(String),
}

impl Difference {
    fn file_name(&self) -> &str {
        match self {
            Difference::Changed(name) | Difference::Missing(name) | Difference::Extra(name) => name,
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Changed(name) => write!(f, "{name} (changed)"),
            Difference::Missing(name) => write!(f, "{name} (missing)"),
            Difference::Extra(name) => write!(f, "{name} (no longer generated)"),
        }
    }
}

/// Compares the files of the `fresh` and `committed` directories by name and
/// content. A missing `committed` directory counts as empty.
fn compare(fresh: &Path, committed: &Path) -> Result<Vec<Difference>> {
    let fresh_names = file_names(fresh)?;
    let committed_names = if committed.exists() { file_names(committed)? } else { BTreeSet::new() };

    let mut differences = Vec::new();
    for name in &fresh_names {
        if !committed_names.contains(name) {
            differences.push(Difference::Missing(name.clone()));
            continue;
        }
        let expected = fs::read(fresh.join(name)).with_context(|| format!("reading the generated {name} failed"))?;
        let path = committed.join(name);
        let actual = fs::read(&path).with_context(|| format!("reading {} failed", path.display()))?;
        if expected != actual {
            differences.push(Difference::Changed(name.clone()));
        }
    }
    for name in committed_names.difference(&fresh_names) {
        differences.push(Difference::Extra(name.clone()));
    }
    Ok(differences)
}

/// Lists the names of the regular files in `dir`, sorted.
fn file_names(dir: &Path) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    let entries = fs::read_dir(dir).with_context(|| format!("reading {} failed", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {} failed", dir.display()))?;
        if !entry.file_type().with_context(|| format!("reading {} failed", entry.path().display()))?.is_file() {
            continue;
        }
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            bail!("{} has a file name that is not UTF-8: {name:?}", dir.display());
        };
        names.insert(name.to_owned());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_file_nests_packages() {
        let packages = vec!["paket.admin.v1".to_owned(), "paket.v1".to_owned()];

        let text = module_file(&packages);

        let expected = [
            "// This file is @generated by `cargo xtask codegen` from proto/. Do not edit.",
            "pub mod paket {",
            "    pub mod admin {",
            "        pub mod v1 {",
            "            include!(\"paket.admin.v1.rs\");",
            "        }",
            "    }",
            "    pub mod v1 {",
            "        include!(\"paket.v1.rs\");",
            "    }",
            "}",
            "",
        ]
        .join("\n");
        assert_eq!(text, expected);
    }

    #[test]
    fn compare_names_each_kind() -> Result<()> {
        let fresh = tempfile::tempdir()?;
        let committed = tempfile::tempdir()?;
        fs::write(fresh.path().join("same.rs"), "a")?;
        fs::write(committed.path().join("same.rs"), "a")?;
        fs::write(fresh.path().join("changed.rs"), "new")?;
        fs::write(committed.path().join("changed.rs"), "old")?;
        fs::write(fresh.path().join("missing.rs"), "a")?;
        fs::write(committed.path().join("extra.rs"), "a")?;

        let differences = compare(fresh.path(), committed.path())?;

        assert_eq!(
            differences,
            vec![
                Difference::Changed("changed.rs".into()),
                Difference::Missing("missing.rs".into()),
                Difference::Extra("extra.rs".into()),
            ]
        );
        Ok(())
    }

    #[test]
    fn compare_without_committed_directory() -> Result<()> {
        let fresh = tempfile::tempdir()?;
        fs::write(fresh.path().join("mod.rs"), "a")?;

        let differences = compare(fresh.path(), &fresh.path().join("absent"))?;

        assert_eq!(differences, vec![Difference::Missing("mod.rs".into())]);
        Ok(())
    }
}
