use std::fmt;
use std::str::FromStr;

/// What kind of recording an original is. Decided from its content, never refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Video,
    Audio,
    Photo,
    Other,
}

impl MediaKind {
    pub const ALL: [MediaKind; 4] = [Self::Video, Self::Audio, Self::Photo, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Photo => "photo",
            Self::Other => "other",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Video => "录像",
            Self::Audio => "录音",
            Self::Photo => "照片",
            Self::Other => "其他",
        }
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown media kind {0:?} (expected video, audio, photo or other)")]
pub struct UnknownMediaKind(pub String);

impl FromStr for MediaKind {
    type Err = UnknownMediaKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownMediaKind(s.to_owned()))
    }
}
