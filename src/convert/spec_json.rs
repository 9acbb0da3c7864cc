//! Reads the structure of an OpenCC JSON config (`dict/opencc/configs/*.json`) into a
//! [`ConfigSpec`]. Shared by `build.rs` and the library (through `#[path]`), like `model.rs`.

use super::model::{file_stem, ConfigSpec, DictExpr, Policy};

/// Parses one config. `name` is the config's file stem (`s2twp`).
pub fn parse_config(name: &str, json: &str) -> Result<ConfigSpec, String> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("config {name}: {e}"))?;
    let dict_of = |node: &serde_json::Value| -> Result<DictExpr, String> {
        parse_dict_node(
            node.get("dict")
                .ok_or_else(|| format!("config {name}: missing dict"))?,
        )
    };
    let normalization = match v.get("normalization").and_then(|n| n.as_array()) {
        Some(list) if list.len() == 1 => Some(dict_of(&list[0])?),
        Some(list) if list.is_empty() => None,
        Some(_) => return Err(format!("config {name}: more than one normalization step")),
        None => None,
    };
    let segmentation = match v.get("segmentation") {
        Some(seg) => {
            let kind = seg.get("type").and_then(|t| t.as_str()).unwrap_or("");
            if kind != "mmseg" {
                return Err(format!("config {name}: unsupported segmentation {kind:?}"));
            }
            Some(dict_of(seg)?)
        }
        None => None,
    };
    let chain = v
        .get("conversion_chain")
        .and_then(|c| c.as_array())
        .ok_or_else(|| format!("config {name}: missing conversion_chain"))?
        .iter()
        .map(dict_of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ConfigSpec {
        name: name.to_string(),
        normalization,
        segmentation,
        chain,
    })
}

fn parse_dict_node(node: &serde_json::Value) -> Result<DictExpr, String> {
    let kind = node.get("type").and_then(|t| t.as_str()).unwrap_or("");
    match kind {
        "group" => {
            let policy = match node.get("match_policy").and_then(|p| p.as_str()) {
                Some("union") => Policy::Union,
                // OpenCC's default for groups is the first-match rule.
                Some("short_circuit") | None => Policy::ShortCircuit,
                Some(other) => return Err(format!("unknown match_policy {other:?}")),
            };
            let members = node
                .get("dicts")
                .and_then(|d| d.as_array())
                .ok_or("group without dicts")?
                .iter()
                .map(parse_dict_node)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(DictExpr::Group(policy, members))
        }
        "ocd2" | "text" | "ocd" => {
            let file = node
                .get("file")
                .and_then(|f| f.as_str())
                .ok_or("dict without file")?;
            Ok(DictExpr::File(file_stem(file)))
        }
        other => Err(format!("unknown dict type {other:?}")),
    }
}
