"""Names shared by every data set: the paper's classes and one site vocabulary."""

# The five diagnoses of Yap et al. (2018), most frequent first.
CLASSES = ("nevus", "melanoma", "bcc", "scc", "bkl")

# Loaders may keep lesions outside the five classes under this label.
OTHER = "other"

# Anatomical sites, coarse enough that every public data set maps onto them
# (ISIC's anatom_site_general without its torso subdivisions).
SITES = (
    "head/neck",
    "upper extremity",
    "lower extremity",
    "torso",
    "palms/soles",
    "oral/genital",
)
