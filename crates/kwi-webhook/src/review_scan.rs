//! The fast path of reading an AdmissionReview: one pass over the body by a scanner made for it,
//! instead of serde's derived visitors (which cost 2.5 times a bare scan of the body).
//!
//! It reads exactly the members the serde types of `review` and `pod` read, into the same values,
//! and skips every other value with serde_json's grammar (`ignore_value`). It gives up (`None`)
//! wherever it could disagree with serde_json: any syntax error, a value of another type than kwi
//! expects (serde's derived structs also read arrays), a known member given twice, deep nesting,
//! an escaped string it would have to decode (those are decoded by serde_json itself). The serde
//! path then reads the body, so what is accepted, the values read and every error message stay
//! serde_json's; a test compares the two readers on many bodies.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::de::IgnoredAny;

use crate::json_out::special;
use crate::pod::{Container, Metadata, Named, Pod, PodSecurityContext, Spec, StrMap};
use crate::review::{GroupVersionKind, RequestIn, ReviewIn};

/// Nesting deeper than this is left to serde_json (whose own limit for typed values is 128).
const MAX_DEPTH: u32 = 64;

/// The review in `body`, when the scanner is sure to read it as serde_json would.
pub(crate) fn read(body: &str) -> Option<ReviewIn<'_, Pod<'_>>> {
    let mut scanner = Scanner {
        text: body,
        bytes: body.as_bytes(),
        pos: 0,
        depth: 0,
        names: Vec::with_capacity(32),
        containers: Vec::with_capacity(8),
    };
    scanner.whitespace();
    let review = scanner.review()?;
    scanner.whitespace();
    (scanner.pos == body.len()).then_some(review)
}

/// Whether the fast path and serde_json agree on `body`: the fast path gave up, or serde_json reads
/// the same review (for the fuzz target and the tests).
pub(crate) fn agrees_with_serde(body: &[u8]) -> bool {
    let Ok(body) = std::str::from_utf8(body) else {
        return true;
    };
    let Some(fast) = read(body) else {
        return true;
    };
    serde_json::from_str::<ReviewIn<'_, Pod<'_>>>(body)
        .is_ok_and(|serde| format!("{fast:?}") == format!("{serde:?}"))
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: u32,
    /// Elements of the `name` lists being read, moved out into a list of the exact size when done.
    names: Vec<Named<'a>>,
    /// Likewise for containers.
    containers: Vec<Container<'a>>,
}

/// Marks a known member as read; `None` when it was read already (serde: "duplicate field").
fn once(seen: &mut u32, bit: u32) -> Option<()> {
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end)? == word).then(|| self.pos = end)
    }

    /// `null` (consumed) or not; the value starts at `pos`.
    fn null(&mut self) -> Option<bool> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(true);
        }
        Some(false)
    }

    /// Skips a string whose opening quote is at `pos`, checking it as serde_json's `ignore_str`
    /// does; whether it had an escape.
    fn skip_string(&mut self) -> Option<bool> {
        self.eat(b'"')?;
        let mut escaped = false;
        loop {
            let at = special(self.bytes, self.pos);
            match self.bytes.get(at)? {
                b'"' => {
                    self.pos = at + 1;
                    return Some(escaped);
                }
                b'\\' => {
                    escaped = true;
                    self.pos = at + 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 1,
                        b'u' => {
                            let hex = self.bytes.get(self.pos + 1..self.pos + 5)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.pos += 5;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// A string, borrowed from the body; one with escapes is decoded by serde_json itself.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.pos;
        let escaped = self.skip_string()?;
        let text = self.text;
        if escaped {
            let decoded: String = serde_json::from_str(text.get(start..self.pos)?).ok()?;
            return Some(Cow::Owned(decoded));
        }
        text.get(start + 1..self.pos - 1).map(Cow::Borrowed)
    }

    /// A string or `null` (`Option<Cow<str>>`).
    fn optional_string(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.null()? {
            return Some(None);
        }
        self.string().map(Some)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// An object: `member` is called with each key and reads (or skips) its value.
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        self.enter()?;
        self.whitespace();
        if self.eat(b'}').is_none() {
            loop {
                self.whitespace();
                let key = self.string()?;
                self.whitespace();
                self.eat(b':')?;
                self.whitespace();
                member(self, key)?;
                self.whitespace();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b'}' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// Skips an object: its keys are checked as serde_json's `ignore_str` checks them, not decoded
    /// (managed fields have keys like `k:{\"name\":\"app\"}`).
    fn skip_object(&mut self) -> Option<()> {
        self.eat(b'{')?;
        self.enter()?;
        self.whitespace();
        if self.eat(b'}').is_none() {
            loop {
                self.whitespace();
                self.skip_string()?;
                self.whitespace();
                self.eat(b':')?;
                self.whitespace();
                self.skip_value()?;
                self.whitespace();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b'}' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// An array: `item` reads each element.
    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        self.enter()?;
        self.whitespace();
        if self.eat(b']').is_none() {
            loop {
                self.whitespace();
                item(self)?;
                self.whitespace();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b']' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// Skips any value, with serde_json's grammar.
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string().map(|_| ()),
            b'{' => self.skip_object(),
            b'[' => self.array(Self::skip_value),
            b'n' => self.literal(b"null"),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'-' => {
                self.pos += 1;
                self.skip_number()
            }
            b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// serde_json's `ignore_integer`, `ignore_decimal` and `ignore_exponent`.
    fn skip_number(&mut self) -> Option<()> {
        match self.peek()? {
            b'0' => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return None;
                }
            }
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    fn review(&mut self) -> Option<ReviewIn<'a, Pod<'a>>> {
        let mut review = ReviewIn {
            api_version: None,
            kind: None,
            request: None,
        };
        let mut seen = 0;
        self.object(|s, key| match key.as_ref() {
            "apiVersion" => {
                once(&mut seen, 1)?;
                review.api_version = s.optional_string()?;
                Some(())
            }
            "kind" => {
                once(&mut seen, 2)?;
                review.kind = s.optional_string()?;
                Some(())
            }
            "request" => {
                once(&mut seen, 4)?;
                review.request = s.request()?;
                Some(())
            }
            _ => s.skip_value(),
        })?;
        Some(review)
    }

    fn request(&mut self) -> Option<Option<RequestIn<'a, Pod<'a>>>> {
        if self.null()? {
            return Some(None);
        }
        let mut request = RequestIn {
            uid: None,
            kind: None,
            sub_resource: None,
            namespace: None,
            operation: None,
            object: None,
        };
        let mut seen = 0;
        self.object(|s, key| {
            let (bit, value) = match key.as_ref() {
                "uid" => (1, &mut request.uid),
                "subResource" => (2, &mut request.sub_resource),
                "namespace" => (4, &mut request.namespace),
                "operation" => (8, &mut request.operation),
                "kind" => {
                    once(&mut seen, 16)?;
                    request.kind = s.group_version_kind()?;
                    return Some(());
                }
                "object" => {
                    once(&mut seen, 32)?;
                    request.object = s.pod()?;
                    return Some(());
                }
                _ => return s.skip_value(),
            };
            once(&mut seen, bit)?;
            *value = s.optional_string()?;
            Some(())
        })?;
        Some(Some(request))
    }

    fn group_version_kind(&mut self) -> Option<Option<GroupVersionKind<'a>>> {
        if self.null()? {
            return Some(None);
        }
        let mut gvk = GroupVersionKind {
            group: None,
            version: None,
            kind: None,
        };
        let mut seen = 0;
        self.object(|s, key| {
            let (bit, value) = match key.as_ref() {
                "group" => (1, &mut gvk.group),
                "version" => (2, &mut gvk.version),
                "kind" => (4, &mut gvk.kind),
                _ => return s.skip_value(),
            };
            once(&mut seen, bit)?;
            *value = s.optional_string()?;
            Some(())
        })?;
        Some(Some(gvk))
    }

    fn pod(&mut self) -> Option<Option<Pod<'a>>> {
        if self.null()? {
            return Some(None);
        }
        let mut pod = Pod::default();
        let mut seen = 0;
        self.object(|s, key| match key.as_ref() {
            "metadata" => {
                once(&mut seen, 1)?;
                pod.metadata = s.metadata()?;
                Some(())
            }
            "spec" => {
                once(&mut seen, 2)?;
                pod.spec = s.spec()?;
                Some(())
            }
            _ => s.skip_value(),
        })?;
        Some(Some(pod))
    }

    fn metadata(&mut self) -> Option<Option<Metadata<'a>>> {
        if self.null()? {
            return Some(None);
        }
        let mut meta = Metadata::default();
        let mut seen = 0;
        self.object(|s, key| {
            let (bit, value) = match key.as_ref() {
                "name" => (1, &mut meta.name),
                "generateName" => (2, &mut meta.generate_name),
                "namespace" => (4, &mut meta.namespace),
                "labels" => {
                    once(&mut seen, 8)?;
                    meta.labels = s.string_map()?;
                    return Some(());
                }
                "annotations" => {
                    once(&mut seen, 16)?;
                    meta.annotations = s.string_map()?;
                    return Some(());
                }
                _ => return s.skip_value(),
            };
            once(&mut seen, bit)?;
            *value = s.optional_string()?;
            Some(())
        })?;
        Some(Some(meta))
    }

    /// A map of strings (a later duplicate key replaces the value, as `BTreeMap::insert`).
    fn string_map(&mut self) -> Option<Option<StrMap<'a>>> {
        if self.null()? {
            return Some(None);
        }
        let mut map = BTreeMap::new();
        self.object(|s, key| {
            map.insert(key, s.string()?);
            Some(())
        })?;
        Some(Some(map))
    }

    fn spec(&mut self) -> Option<Option<Spec<'a>>> {
        if self.null()? {
            return Some(None);
        }
        let mut spec = Spec::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key.as_ref() {
                "serviceAccountName" => {
                    once(&mut seen, 1)?;
                    spec.service_account_name = s.optional_string()?;
                }
                "nodeSelector" => {
                    once(&mut seen, 2)?;
                    spec.node_selector = s.string_map()?;
                }
                "volumes" => {
                    once(&mut seen, 4)?;
                    spec.volumes = s.names()?;
                }
                "containers" => {
                    once(&mut seen, 8)?;
                    spec.containers = s.containers()?;
                }
                "initContainers" => {
                    once(&mut seen, 16)?;
                    spec.init_containers = s.containers()?;
                }
                "securityContext" => {
                    once(&mut seen, 32)?;
                    spec.security_context = s.security_context()?;
                }
                _ => s.skip_value()?,
            }
            Some(())
        })?;
        Some(Some(spec))
    }

    fn security_context(&mut self) -> Option<Option<PodSecurityContext>> {
        if self.null()? {
            return Some(None);
        }
        let mut context = PodSecurityContext::default();
        let mut seen = 0;
        self.object(|s, key| match key.as_ref() {
            "fsGroup" => {
                once(&mut seen, 1)?;
                // `Option<IgnoredAny>`: null is None, any other value Some.
                if !s.null()? {
                    s.skip_value()?;
                    context.fs_group = Some(IgnoredAny);
                }
                Some(())
            }
            _ => s.skip_value(),
        })?;
        Some(Some(context))
    }

    fn containers(&mut self) -> Option<Option<Vec<Container<'a>>>> {
        if self.null()? {
            return Some(None);
        }
        let start = self.containers.len();
        self.array(|s| {
            let container = s.container()?;
            s.containers.push(container);
            Some(())
        })?;
        Some(Some(self.containers.drain(start..).collect()))
    }

    fn container(&mut self) -> Option<Container<'a>> {
        let mut container = Container::default();
        let mut seen = 0;
        self.object(|s, key| {
            match key.as_ref() {
                "name" => {
                    once(&mut seen, 1)?;
                    container.name = s.optional_string()?;
                }
                "env" => {
                    once(&mut seen, 2)?;
                    container.env = s.names()?;
                }
                "volumeMounts" => {
                    once(&mut seen, 4)?;
                    container.volume_mounts = s.names()?;
                }
                _ => s.skip_value()?,
            }
            Some(())
        })?;
        Some(container)
    }

    /// A list of objects of which only `name` is read (volumes, env vars, volume mounts).
    fn names(&mut self) -> Option<Option<Vec<Named<'a>>>> {
        if self.null()? {
            return Some(None);
        }
        let start = self.names.len();
        self.array(|s| {
            let mut named = Named::default();
            let mut seen = 0;
            s.object(|s, key| match key.as_ref() {
                "name" => {
                    once(&mut seen, 1)?;
                    named.name = s.optional_string()?;
                    Some(())
                }
                _ => s.skip_value(),
            })?;
            s.names.push(named);
            Some(())
        })?;
        Some(Some(self.names.drain(start..).collect()))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    /// Whether the fast path read `body`; when it did, serde_json reads the same review from it.
    fn agrees(body: &str) -> bool {
        assert!(agrees_with_serde(body.as_bytes()), "{body}");
        let Some(fast) = read(body) else {
            return false;
        };
        match serde_json::from_str::<ReviewIn<'_, Pod<'_>>>(body) {
            Ok(serde) => assert_eq!(format!("{fast:?}"), format!("{serde:?}"), "{body}"),
            Err(e) => panic!("the fast path read what serde_json refuses ({e}): {body}"),
        }
        true
    }

    fn container(name: &str) -> Value {
        json!({"name": name, "image": "r/x:1", "args": ["-v", 1, 2.5e-3, -0.0, true, false, null],
               "env": [{"name": "A", "value": "1"}, {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
               "volumeMounts": [{"name": "m", "mountPath": "/m", "readOnly": true}],
               "resources": {"limits": {"memory": "1Gi"}}, "ports": [{"containerPort": 80}]})
    }

    fn review() -> Value {
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "resource": {"group": "", "version": "v1", "resource": "pods"},
                "namespace": "apps", "operation": "CREATE", "subResource": "", "dryRun": false,
                "object": {"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "p", "generateName": "p-", "namespace": "apps",
                                 "labels": {"a": "b", "eks.amazonaws.com/pod-identity": "x"},
                                 "annotations": {"kwi.dev/fs-group": "1", "j": "{\"k\": [1]}"}},
                    "spec": {"serviceAccountName": "app", "nodeSelector": {"kubernetes.io/os": "linux"},
                             "securityContext": {"runAsUser": 1, "fsGroup": 2},
                             "volumes": [{"name": "v", "emptyDir": {}}],
                             "initContainers": [container("i")],
                             "containers": [container("a"), container("b")]}},
                "oldObject": null}})
    }

    #[test]
    fn reads_reviews_as_serde_json_does() {
        let review = review();
        for body in [
            serde_json::to_string(&review).unwrap_or_default(),
            serde_json::to_string_pretty(&review).unwrap_or_default(),
        ] {
            assert!(agrees(&body), "the fast path gave up on {body}");
        }
        for body in [
            r#"{}"#,
            r#"{"request":null,"apiVersion":null}"#,
            r#" {"request":{"object":null,"kind":null}} "#,
            "\t{\r\n\"request\" :\n{ \"uid\" : \"a\" , \"object\" : { } } }\n",
            r#"{"request":{"object":{"metadata":{"labels":{},"annotations":null},"spec":{"securityContext":{"fsGroup":null}}}}}"#,
            r#"{"request":{"object":{"metadata":{"labels":{"a":"1","a":"2"}}}}}"#,
            r#"{"request":{"object":{"spec":{"securityContext":{"fsGroup":{"x":[]}}}}}}"#,
            r#"{"request":{"uid":"a\"b\\c\u00e9\ud83d\ude00","object":{"spec":{"containers":[{"name":"\u0061"}]}}}}"#,
            r#"{"x":"\ud800","request":{"object":{"spec":{"containers":[],"volumes":[{}]}}}}"#,
            r#"{"request":{"object":{"spec":{"containers":[{"n\u0061me":"x","\u0065nv":null}]}}}}"#,
            r#"{"request":{"object":{"metadata":{"managedFields":[{"fieldsV1":{"f:spec":{"k:{\"name\":\"a\"}":{"\ud800":{}}}}}]}}}}"#,
            r#"{"x":[1,-1,0,0.5,1e5,1E+5,1e-5,-0.0e0,[[[]]],{"a":{}}]}"#,
        ] {
            assert!(agrees(body), "the fast path gave up on {body}");
        }
    }

    #[test]
    fn gives_up_where_serde_json_refuses_or_reads_otherwise() {
        for body in [
            "",
            " ",
            "\u{feff}{}",
            "{} x",
            "{}{}",
            "[]",
            "null",
            r#"{"apiVersion":"a","apiVersion":"b"}"#,
            r#"{"request":{"uid":"a","uid":"b"}}"#,
            r#"{"request":{"uid":"a","\u0075id":"b"}}"#,
            r#"{"request":{"object":{"spec":{},"spec":{}}}}"#,
            r#"{"request":{"object":{"spec":{"containers":[{"name":"a","name":"b"}]}}}}"#,
            r#"{"request":{"kind":["","v1","Pod"]}}"#,
            r#"{"request":["u"]}"#,
            r#"{"request":{"object":[]}}"#,
            r#"{"request":{"object":{"spec":{"containers":[[]]}}}}"#,
            r#"{"request":{"object":{"spec":{"containers":[null]}}}}"#,
            r#"{"request":{"object":{"spec":{"volumes":[1]}}}}"#,
            r#"{"request":{"object":{"metadata":{"labels":{"a":null}}}}}"#,
            r#"{"request":{"object":{"metadata":{"labels":{"a":1}}}}}"#,
            r#"{"request":{"uid":1}}"#,
            r#"{"request":{"uid":"\ud800"}}"#,
            r#"{"request":{"uid":"\x"}}"#,
            r#"{"x":"\u12"}"#,
            r#"{"x":"\q"}"#,
            "{\"x\":\"\u{1}\"}",
            "{\"x\":\"\t\"}",
            r#"{"x":01}"#,
            r#"{"x":1.}"#,
            r#"{"x":1e}"#,
            r#"{"x":-}"#,
            r#"{"x":+1}"#,
            r#"{"x":.5}"#,
            r#"{"x":nul}"#,
            r#"{"x":True}"#,
            r#"{"x":[1,]}"#,
            r#"{"x":{"a":1,}}"#,
            r#"{"x":1,}"#,
            r#"{"x" 1}"#,
            r#"{x:1}"#,
            r#"{"x":"a"#,
            r#"{"x":[1 2]}"#,
        ] {
            assert!(!agrees(body), "the fast path read {body}");
        }
        let deep = format!(r#"{{"x":{}{}}}"#, "[".repeat(200), "]".repeat(200));
        assert!(!agrees(&deep));
        assert!(serde_json::from_str::<ReviewIn<'_, Pod<'_>>>(&deep).is_ok());
    }

    const POINTERS: &[&str] = &[
        "/apiVersion",
        "/request",
        "/request/uid",
        "/request/kind",
        "/request/kind/kind",
        "/request/operation",
        "/request/object",
        "/request/object/metadata",
        "/request/object/metadata/labels",
        "/request/object/metadata/labels/a",
        "/request/object/metadata/annotations",
        "/request/object/spec",
        "/request/object/spec/securityContext",
        "/request/object/spec/securityContext/fsGroup",
        "/request/object/spec/volumes",
        "/request/object/spec/volumes/0",
        "/request/object/spec/containers/0",
        "/request/object/spec/containers/0/name",
        "/request/object/spec/containers/0/env",
        "/request/object/spec/containers/0/env/0",
        "/request/object/spec/containers/0/env/0/name",
        "/request/object/spec/containers/1/volumeMounts",
        "/request/object/spec/initContainers",
        "/request/object/spec/nodeSelector",
    ];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
            "[a-z\"\\\\/\u{1}\u{e9}]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("name|env|fsGroup|[a-z\"\\\\]{1,4}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn any_part_replaced_reads_as_serde_json_reads_it(
            edits in prop::collection::vec((0..POINTERS.len(), json_value()), 1..4),
            pretty in any::<bool>(),
        ) {
            let mut review = review();
            for (i, value) in edits {
                if let Some(slot) = review.pointer_mut(POINTERS[i]) {
                    *slot = value;
                }
            }
            let body = match pretty {
                true => serde_json::to_string_pretty(&review),
                false => serde_json::to_string(&review),
            };
            agrees(&body.unwrap_or_default());
        }

        #[test]
        fn any_bytes_replaced_read_as_serde_json_reads_them(
            edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(
                &b"\"\\{}[],: \n0123456789.eE+-tfnlu/ab\x01"[..])), 1..4),
        ) {
            let mut body = serde_json::to_vec(&review()).unwrap_or_default();
            for (at, byte) in edits {
                let i = at.index(body.len());
                body[i] = byte;
            }
            if let Ok(body) = std::str::from_utf8(&body) {
                agrees(body);
            }
        }
    }
}
