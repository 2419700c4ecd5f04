"""Names shared by every data set: the paper's classes, sites and sexes."""

#: The five diagnoses of Yap et al. (2018): nevus, melanoma, basal cell
#: carcinoma, squamous cell carcinoma and benign keratosis.
CLASSES = ("nevus", "melanoma", "bcc", "scc", "bkl")

#: The label of lesions outside the five classes, which the loaders keep
#: with ``other="keep"``.
OTHER = "other"

#: Anatomical sites, coarse enough that every public data set maps onto them
#: (ISIC's anatom_site_general without its torso subdivisions).
SITES = (
    "head/neck",
    "upper extremity",
    "lower extremity",
    "torso",
    "palms/soles",
    "oral/genital",
)

#: Sex, as every loader spells it (missing where unknown).
SEXES = ("female", "male")
